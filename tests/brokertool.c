/*
 * brokertool: drive one broker from the command line, for the tests.
 *
 *	brokertool [-o option,...] LOCATION ls [-r] [FOLDER]
 *	brokertool [-o option,...] LOCATION stat KEY
 *	brokertool [-o option,...] LOCATION get KEY [OFFSET LENGTH]
 *	brokertool [-o option,...] LOCATION put KEY FILE [SIZE]
 *	brokertool [-o option,...] LOCATION rm KEY
 *
 * The options are snapfs's S3 options (endpoint=, region=, path_style,
 * credentials=, profile=, cafile=).  Exit status 0, or 1 with a message.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

static int
print_entry(void *arg, const struct broker_entry *e)
{
	if (e->is_dir)
		printf("%s/\n", e->key);
	else
		printf("%s\t%" PRIu64 "\t%" PRId64 "\n", e->key, e->size,
		    e->mtime / 1000000000);
	return (0);
}

static void
parse_options(char *s, struct broker_options *o)
{
	char	*opt;

	while ((opt = strsep(&s, ",")) != NULL) {
		if (strncmp(opt, "endpoint=", 9) == 0)
			o->endpoint = opt + 9;
		else if (strncmp(opt, "region=", 7) == 0)
			o->region = opt + 7;
		else if (strcmp(opt, "path_style") == 0)
			o->path_style = true;
		else if (strncmp(opt, "credentials=", 12) == 0)
			o->credentials = opt + 12;
		else if (strncmp(opt, "profile=", 8) == 0)
			o->profile = opt + 8;
		else if (strncmp(opt, "cafile=", 7) == 0)
			o->cafile = opt + 7;
		else {
			fprintf(stderr, "brokertool: unknown option %s\n", opt);
			exit(1);
		}
	}
}

static int
get(struct broker *b, const char *key, uint64_t off, uint64_t len)
{
	char	*p;
	ssize_t	 n;

	p = xmalloc(1024 * 1024);
	while (len > 0) {
		n = broker_read(b, key, p, len < 1024 * 1024 ? len :
		    1024 * 1024, off, NULL);
		if (n < 0)
			return (n);
		if (n == 0)
			break;
		fwrite(p, 1, n, stdout);
		off += n;
		len -= n;
	}
	free(p);
	return (0);
}

int
main(int argc, char **argv)
{
	struct broker_options	 o;
	struct broker_entry	 e;
	struct broker		*b;
	struct stat		 st;
	char			*cause = NULL;
	int			 fd, error = -EINVAL;

	memset(&o, 0, sizeof o);
	log_open(true, getenv("BROKERTOOL_DEBUG") != NULL);
	if (argc > 2 && strcmp(argv[1], "-o") == 0) {
		parse_options(argv[2], &o);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: brokertool [-o options] LOCATION "
		    "ls|stat|get|put|rm ...\n");
		return (1);
	}
	if ((error = broker_open(argv[1], &o, &b, &cause)) != 0) {
		fprintf(stderr, "brokertool: %s\n", cause);
		return (1);
	}
	if (strcmp(argv[2], "ls") == 0) {
		if (argc > 3 && strcmp(argv[3], "-r") == 0)
			error = broker_list(b, argc > 4 ? argv[4] : "",
			    BROKER_RECURSIVE, print_entry, NULL, NULL);
		else
			error = broker_list(b, argc > 3 ? argv[3] : "", 0,
			    print_entry, NULL, NULL);
	} else if (strcmp(argv[2], "stat") == 0 && argc == 4) {
		if ((error = broker_stat(b, argv[3], &e, NULL)) == 0)
			print_entry(NULL, &e);
	} else if (strcmp(argv[2], "get") == 0 && (argc == 4 || argc == 6))
		error = get(b, argv[3], argc == 6 ? strtoull(argv[4], NULL, 10) :
		    0, argc == 6 ? strtoull(argv[5], NULL, 10) : UINT64_MAX);
	else if (strcmp(argv[2], "put") == 0 && (argc == 5 || argc == 6)) {
		/* A SIZE past the end of FILE makes the upload fail. */
		if ((fd = open(argv[4], O_RDONLY)) == -1 || fstat(fd, &st) == -1)
			error = -errno;
		else
			error = broker_upload(b, argv[3], fd, argc == 6 ?
			    strtoull(argv[5], NULL, 10) : (uint64_t)st.st_size,
			    NULL);
	} else if (strcmp(argv[2], "rm") == 0 && argc == 4)
		error = broker_remove(b, argv[3], NULL);
	else
		fprintf(stderr, "brokertool: bad command\n");
	broker_close(b);
	if (error != 0) {
		fprintf(stderr, "brokertool: %s\n", strerror(-error));
		return (1);
	}
	return (0);
}
