/*
 * Unit tests for aws.c: the INI files of the AWS CLI and the order in
 * which the profile, the keys, the region and the endpoint are found.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapfs.h"

static char	home[64];

/* A HOME of its own with ~/.aws/NAME holding text (NULL: no file). */
static void
aws_file_is(const char *name, const char *text)
{
	char	path[128];
	FILE	*f;

	if (home[0] == '\0') {
		strcpy(home, "/tmp/snapfs-aws.XXXXXX");
		cr_assert_not_null(mkdtemp(home));
		snprintf(path, sizeof path, "%s/.aws", home);
		cr_assert_eq(mkdir(path, 0700), 0);
		setenv("HOME", home, 1);
		unsetenv("AWS_ACCESS_KEY_ID");
		unsetenv("AWS_SECRET_ACCESS_KEY");
		unsetenv("AWS_SESSION_TOKEN");
		unsetenv("AWS_PROFILE");
		unsetenv("AWS_REGION");
		unsetenv("AWS_DEFAULT_REGION");
		unsetenv("AWS_ENDPOINT_URL");
		unsetenv("AWS_ENDPOINT_URL_S3");
		unsetenv("AWS_CONFIG_FILE");
		unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	}
	snprintf(path, sizeof path, "%s/.aws/%s", home, name);
	if (text == NULL) {
		unlink(path);
		return;
	}
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
aws_fini(void)
{
	char	path[128];

	if (home[0] == '\0')
		return;
	aws_file_is("credentials", NULL);
	aws_file_is("config", NULL);
	snprintf(path, sizeof path, "%s/.aws", home);
	rmdir(path);
	rmdir(home);
}

TestSuite(aws, .fini = aws_fini);

static const char credentials[] =
    "# keys\n"
    "[default]\n"
    "aws_access_key_id = AKDEFAULT\n"
    "aws_secret_access_key=secret-default  \n"
    "\n"
    "[work]\n"
    "aws_access_key_id = AKWORK\n"
    "aws_secret_access_key = secret-work\n"
    "aws_session_token = token-work\n";

static const char config[] =
    "[default]\n"
    "region = eu-west-3\n"
    "[profile work]\n"
    "region = ap-south-1\n"
    "endpoint_url = http://127.0.0.1:7480\n"
    "[profile cfgkeys]\n"
    "aws_access_key_id = AKCONFIG\n"
    "aws_secret_access_key = secret-config\n";

static void
keys_free(struct sigv4_key *k)
{
	free(k->access_key);
	free(k->secret);
	free(k->token);
	memset(k, 0, sizeof *k);
}

Test(aws, ini_sections_keys_and_errors)
{
	char	*v = NULL, *cause = NULL, path[128];
	bool	 found;

	aws_file_is("credentials", credentials);
	snprintf(path, sizeof path, "%s/.aws/credentials", home);
	cr_assert_eq(aws_ini_get(path, "work", "aws_session_token", &v, &found,
	    &cause), 0);
	cr_assert(found);
	cr_assert_str_eq(v, "token-work");
	free(v);
	cr_assert_eq(aws_ini_get(path, "default", "aws_secret_access_key", &v,
	    NULL, &cause), 0);
	cr_assert_str_eq(v, "secret-default");
	free(v);
	cr_assert_eq(aws_ini_get(path, "nosuch", "x", &v, &found, &cause), 0);
	cr_assert_null(v);
	cr_assert_not(found);
	aws_file_is("credentials", "[default]\nno equals sign\n");
	cr_assert_eq(aws_ini_get(path, "default", "x", &v, NULL, &cause),
	    -EINVAL);
	cr_assert_null(strstr(cause, "equals"), "a value quoted: %s", cause);
	free(cause);
	aws_file_is("credentials", NULL);
	cr_assert_eq(aws_ini_get(path, "default", "x", &v, &found, &cause), 0,
	    "a missing file is no error");
}

Test(aws, keys_from_the_environment_then_the_files)
{
	struct broker_options	 o = { 0 };
	struct sigv4_key	 k = { 0 };
	char			*from = NULL, *cause = NULL;

	aws_file_is("credentials", credentials);
	aws_file_is("config", config);
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), 0);
	cr_assert_str_eq(k.access_key, "AKENV");
	cr_assert_str_eq(from, "the environment");
	keys_free(&k);
	free(from);

	/* -o profile= names the files' profile over the environment. */
	o.profile = "work";
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), 0);
	cr_assert_str_eq(k.access_key, "AKWORK");
	cr_assert_str_eq(k.token, "token-work");
	cr_assert_not_null(strstr(from, ".aws/credentials [work]"));
	keys_free(&k);
	free(from);

	unsetenv("AWS_ACCESS_KEY_ID");
	o.profile = NULL;
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), 0);
	cr_assert_str_eq(k.access_key, "AKDEFAULT");
	cr_assert_null(k.token);
	keys_free(&k);
	free(from);

	/* AWS_PROFILE; keys in the config file's [profile NAME]. */
	setenv("AWS_PROFILE", "cfgkeys", 1);
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), 0);
	cr_assert_str_eq(k.access_key, "AKCONFIG");
	cr_assert_not_null(strstr(from, ".aws/config [cfgkeys]"));
	keys_free(&k);
	free(from);

	setenv("AWS_PROFILE", "nosuch", 1);
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), -EACCES);
	cr_assert_str_eq(cause, "no S3 credentials for profile nosuch: no "
	    "such profile");
	free(cause);
}

Test(aws, a_named_credentials_file_wins)
{
	struct broker_options	 o = { 0 };
	struct sigv4_key	 k = { 0 };
	char			*from = NULL, *cause = NULL, path[128];

	aws_file_is("credentials", credentials);
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
	snprintf(path, sizeof path, "%s/.aws/credentials", home);
	o.credentials = path;
	o.profile = "work";
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), 0);
	cr_assert_str_eq(k.access_key, "AKWORK");
	keys_free(&k);
	free(from);
	o.profile = "nosuch";
	cr_assert_eq(aws_credentials(&o, &k, &from, &cause), -EACCES);
	cr_assert_not_null(strstr(cause, ": no such profile"), "%s", cause);
	free(cause);
}

Test(aws, region_and_endpoint_in_the_sdks_order)
{
	struct broker_options	 o = { 0 };
	char			*region, *endpoint, *cause = NULL;

	aws_file_is("config", config);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "eu-west-3");
	cr_assert_null(endpoint);
	free(region);

	setenv("AWS_PROFILE", "work", 1);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "ap-south-1");
	cr_assert_str_eq(endpoint, "http://127.0.0.1:7480");
	free(region);
	free(endpoint);

	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	setenv("AWS_ENDPOINT_URL", "http://e1", 1);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "us-west-1");
	cr_assert_str_eq(endpoint, "http://e1");
	free(region);
	free(endpoint);

	setenv("AWS_REGION", "us-west-2", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://e2", 1);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "us-west-2");
	cr_assert_str_eq(endpoint, "http://e2");
	free(region);
	free(endpoint);

	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_null(endpoint);
	free(region);

	o.region = "sa-east-1";
	o.endpoint = "http://e3";
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "sa-east-1");
	cr_assert_str_eq(endpoint, "http://e3");
	free(region);
	free(endpoint);

	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	o.region = NULL;
	aws_file_is("config", NULL);
	cr_assert_eq(aws_settings(&o, &region, &endpoint, &cause), 0);
	cr_assert_str_eq(region, "us-east-1");
	free(region);
	free(endpoint);
}

/* Expiration times as STS, ECS and IMDS write them. */
Test(aws, time)
{
	time_t	t;

	cr_assert_eq(aws_time("2026-12-03T04:23:57Z", &t), 0);
	cr_assert_eq(t, 1796271837);
	cr_assert_eq(aws_time("2026-12-03T04:23:57.030959+00:00", &t), 0);
	cr_assert_eq(t, 1796271837);
	cr_assert_eq(aws_time("2026-12-03T06:23:57+02:00", &t), 0);
	cr_assert_eq(t, 1796271837);
	cr_assert_eq(aws_time("2026-12-03T01:23:57-03:00", &t), 0);
	cr_assert_eq(t, 1796271837);
	cr_assert_eq(aws_time("2026-12-03T04:23:57", &t), 0);
	cr_assert_eq(t, 1796271837);
	cr_assert_eq(aws_time("1970-01-01T00:00:00Z", &t), 0);
	cr_assert_eq(t, 0);

	cr_assert_eq(aws_time("", &t), -1);
	cr_assert_eq(aws_time("2026-12-03", &t), -1);
	cr_assert_eq(aws_time("2026-13-03T04:23:57Z", &t), -1);
	cr_assert_eq(aws_time("2026-12-03T24:23:57Z", &t), -1);
	cr_assert_eq(aws_time("2026-12-03T04:23:57Zjunk", &t), -1);
	cr_assert_eq(aws_time("2026-12-03T04:23:57+0000", &t), -1);
	cr_assert_eq(aws_time("2026-12-03 04:23:57Z", &t), -1);
}
