/*
 * Without libFuzzer: run a fuzz target once on every file named, and on
 * every file in every directory named (not recursive), as the fuzzer
 * would replay its corpus.  With no arguments, the target's seed corpus
 * and regression inputs: $srcdir/tests/fuzz/{corpus,regress}/FUZZ_NAME.
 * Prints how many inputs ran; a crash, a sanitizer report or a leak
 * (under ASan) fails the run.
 */

#include <dirent.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	FILE	*f;
	uint8_t	*data;
	long	 len;

	if ((f = fopen(path, "rb")) == NULL) {
		warn("%s", path);
		return (-1);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		warn("%s", path);
		fclose(f);
		return (-1);
	}
	/* An exact-size copy, so that a read past the end is caught. */
	if ((data = malloc(len == 0 ? 1 : len)) == NULL)
		err(1, NULL);
	if (len != 0 && fread(data, 1, len, f) != (size_t)len) {
		warnx("%s: short read", path);
		free(data);
		fclose(f);
		return (-1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return (0);
}

static int
run_dir(const char *dir, int *n)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[4096];
	int		 bad = 0;

	if ((d = opendir(dir)) == NULL) {
		warn("%s", dir);
		return (1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		bad += run_file(path) != 0;
		(*n)++;
	}
	closedir(d);
	return (bad);
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	const char	*top;
	char		 dir[4096];
	int		 i, n = 0, bad = 0;

	if (argc < 2) {
		if ((top = getenv("srcdir")) == NULL)
			top = ".";
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top,
		    FUZZ_NAME);
		bad += run_dir(dir, &n);
		snprintf(dir, sizeof dir, "%s/tests/fuzz/regress/%s", top,
		    FUZZ_NAME);
		bad += run_dir(dir, &n);
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			warn("%s", argv[i]);
			bad++;
		} else if (S_ISDIR(st.st_mode))
			bad += run_dir(argv[i], &n);
		else {
			bad += run_file(argv[i]) != 0;
			n++;
		}
	}
	printf("%s: %d inputs, %d unreadable\n", FUZZ_NAME, n, bad);
	return (bad != 0 || n == 0);
}
