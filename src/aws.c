/*
 * S3 settings and static credentials the way the AWS CLI and SDKs find
 * them, so that a machine set up for them is set up for snapfs:
 *
 *   profile	-o profile=, AWS_PROFILE, "default"
 *   keys	-o credentials=FILE; the environment (AWS_ACCESS_KEY_ID,
 *		AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) unless -o profile=
 *		names one; the profile in the shared credentials file
 *		(AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), then in
 *		the config file (AWS_CONFIG_FILE or ~/.aws/config)
 *   region	-o region=, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 *		region, us-east-1
 *   endpoint	-o endpoint=, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
 *		profile's endpoint_url (none of these three when
 *		AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), AWS's own
 *
 * A credentials file has a section per profile, "[name]"; the config file
 * names them "[profile name]", but for "[default]".  No value of either
 * file is ever quoted in a message.
 */

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "snapfs.h"

static char *
trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return (s);
}

/*
 * The value of key in section of the INI file path (NULL: the lines
 * before any section), in *value (NULL when the file, the section or the
 * key is not there); *found says whether the section is.  -errno with a
 * cause when the file cannot be read or a line of the section is no
 * "key = value".
 */
int
aws_ini_get(const char *path, const char *section, const char *key,
    char **value, bool *found, char **cause)
{
	FILE	*f;
	char	 line[4096], *p, *eq;
	bool	 in = section == NULL;
	int	 lineno = 0, error = 0;

	*value = NULL;
	if (found != NULL)
		*found = false;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return (0);
		error = -errno;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (error);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		p = trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			if ((eq = strchr(p, ']')) != NULL)
				*eq = '\0';
			in = section != NULL &&
			    strcmp(trim(p + 1), section) == 0;
			if (in && found != NULL)
				*found = true;
			continue;
		}
		if (!in)
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			xasprintf(cause, "%s:%d: expected key = value", path,
			    lineno);
			error = -EINVAL;
			break;
		}
		*eq = '\0';
		if (strcmp(trim(p), key) == 0) {
			free(*value);	/* the last one wins */
			*value = xstrdup(trim(eq + 1));
		}
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	if (error != 0 && *value != NULL) {
		explicit_bzero(*value, strlen(*value));
		free(*value);
		*value = NULL;
	}
	return (error);
}

/* The path in variable env, else ~/.aws/name; the caller frees it. */
static char *
aws_file(const char *env, const char *name)
{
	const char	*home = getenv("HOME");
	struct passwd	*pw;
	char		*path;

	if (getenv(env) != NULL && *getenv(env) != '\0')
		return (xstrdup(getenv(env)));
	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	xasprintf(&path, "%s/.aws/%s", home != NULL ? home : "", name);
	return (path);
}

/* The profile named by -o profile=, AWS_PROFILE or "default". */
static const char *
aws_profile(const struct broker_options *o)
{
	const char	*p = getenv("AWS_PROFILE");

	if (o->profile != NULL)
		return (o->profile);
	return (p != NULL && *p != '\0' ? p : "default");
}

/* A setting of the profile in the config file, or NULL. */
int
aws_config_get(const struct broker_options *o, const char *key, char **value,
    char **cause)
{
	const char	*profile = aws_profile(o);
	char		*path, *section;
	int		 error;

	path = aws_file("AWS_CONFIG_FILE", "config");
	if (strcmp(profile, "default") == 0)
		section = xstrdup(profile);
	else
		xasprintf(&section, "profile %s", profile);
	error = aws_ini_get(path, section, key, value, NULL, cause);
	free(section);
	free(path);
	return (error);
}

/* The first variable of names that is set and not empty, or NULL. */
static const char *
env_first(const char *const *names)
{
	const char	*v;

	for (; *names != NULL; names++)
		if ((v = getenv(*names)) != NULL && *v != '\0')
			return (v);
	return (NULL);
}

/* Region and endpoint (NULL: AWS's own); the caller frees them. */
int
aws_settings(const struct broker_options *o, char **region, char **endpoint,
    char **cause)
{
	static const char *const regions[] = {
		"AWS_REGION", "AWS_DEFAULT_REGION", NULL
	};
	static const char *const endpoints[] = {
		"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", NULL
	};
	const char	*v, *ignore;
	int		 error;

	*region = *endpoint = NULL;
	if (o->region != NULL)
		*region = xstrdup(o->region);
	else if ((v = env_first(regions)) != NULL)
		*region = xstrdup(v);
	else if ((error = aws_config_get(o, "region", region, cause)) != 0)
		return (error);
	if (*region == NULL || **region == '\0') {
		free(*region);
		*region = xstrdup("us-east-1");
	}
	ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (o->endpoint != NULL)
		*endpoint = xstrdup(o->endpoint);
	else if (ignore != NULL && strcasecmp(ignore, "true") == 0)
		;
	else if ((v = env_first(endpoints)) != NULL)
		*endpoint = xstrdup(v);
	else if ((error = aws_config_get(o, "endpoint_url", endpoint,
	    cause)) != 0) {
		free(*region);
		*region = NULL;
		return (error);
	}
	return (0);
}

/*
 * The keys of the profile in file path, section section: 1 if both are
 * there, 0 if not (k untouched), -errno.  *found says the section is.
 */
static int
keys_from(const char *path, const char *section, struct sigv4_key *k,
    bool *found, char **cause)
{
	char	*id = NULL, *secret = NULL, *token = NULL;
	int	 error;

	if ((error = aws_ini_get(path, section, "aws_access_key_id", &id,
	    found, cause)) != 0 ||
	    (error = aws_ini_get(path, section, "aws_secret_access_key",
	    &secret, NULL, cause)) != 0 ||
	    (error = aws_ini_get(path, section, "aws_session_token", &token,
	    NULL, cause)) != 0 || id == NULL || secret == NULL ||
	    *id == '\0' || *secret == '\0') {
		free(id);
		if (secret != NULL)
			explicit_bzero(secret, strlen(secret));
		free(secret);
		free(token);
		return (error);
	}
	k->access_key = id;
	k->secret = secret;
	k->token = token != NULL && *token != '\0' ? token : NULL;
	if (k->token == NULL)
		free(token);
	return (1);
}

/*
 * Static credentials into k, from the first source of the chain that has
 * them; *from says which (for the log, no secret).  -EACCES with a cause
 * when none has.
 */
int
aws_credentials(const struct broker_options *o, struct sigv4_key *k,
    char **from, char **cause)
{
	const char	*profile = aws_profile(o);
	const char	*id = getenv("AWS_ACCESS_KEY_ID");
	const char	*secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char	*token = getenv("AWS_SESSION_TOKEN");
	char		*path, *section;
	bool		 found = false, in_config = false;
	int		 r;

	if (o->credentials != NULL) {
		r = keys_from(o->credentials, profile, k, &found, cause);
		if (r == 0)
			xasprintf(cause, "%s: %s", o->credentials, found ?
			    "no aws_access_key_id and aws_secret_access_key "
			    "in the profile" : "no such profile");
		if (r <= 0)
			return (r == 0 ? -EACCES : r);
		xasprintf(from, "%s [%s]", o->credentials, profile);
		return (0);
	}
	if (o->profile == NULL && id != NULL && secret != NULL &&
	    *id != '\0' && *secret != '\0') {
		k->access_key = xstrdup(id);
		k->secret = xstrdup(secret);
		if (token != NULL && *token != '\0')
			k->token = xstrdup(token);
		*from = xstrdup("the environment");
		return (0);
	}
	path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	if ((r = keys_from(path, profile, k, &found, cause)) == 0) {
		free(path);
		path = aws_file("AWS_CONFIG_FILE", "config");
		if (strcmp(profile, "default") == 0)
			section = xstrdup(profile);
		else
			xasprintf(&section, "profile %s", profile);
		r = keys_from(path, section, k, &in_config, cause);
		free(section);
		found |= in_config;
	}
	if (r > 0)
		xasprintf(from, "%s [%s]", path, profile);
	free(path);
	if (r != 0)
		return (r < 0 ? r : 0);
	if (o->profile != NULL || getenv("AWS_PROFILE") != NULL)
		xasprintf(cause, "no S3 credentials for profile %s%s",
		    profile, found ? "" : ": no such profile");
	else
		xasprintf(cause, "no S3 credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY, put them in "
		    "~/.aws/credentials, or use -o credentials=FILE");
	return (-EACCES);
}
