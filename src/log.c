/*
 * Logging: to stderr in the foreground, to syslog once daemonized.
 * Nothing that reaches a log may hold a secret.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "snapfs.h"

static bool	log_to_stderr = true;
static bool	log_debugging;

void
log_open(bool foreground, bool debug)
{
	log_to_stderr = foreground;
	log_debugging = debug;
	if (!foreground)
		openlog("snapfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool
log_debug_enabled(void)
{
	return (log_debugging);
}

void
log_vmsg(int pri, const char *fmt, va_list ap)
{
	char	line[1024];

	if (pri == LOG_DEBUG && !log_debugging)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	if (log_to_stderr)
		fprintf(stderr, "snapfs: %s\n", line);
	else
		syslog(pri, "%s", line);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warn("fatal: %s: %s", msg, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warn("fatal: %s", msg);
	exit(1);
}

/*
 * s made fit for one log line: at most max bytes of it, each control
 * character written as \xNN, "..." after a cut.  out needs 4 * max + 4.
 */
const char *
log_safe(const char *s, size_t max, char *out, size_t size)
{
	size_t	i, o = 0;

	for (i = 0; s[i] != '\0' && i < max && o + 5 < size; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			o += snprintf(out + o, size - o, "\\x%02x",
			    (unsigned char)s[i]);
		else
			out[o++] = s[i];
	}
	if (s[i] != '\0' && o + 4 <= size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return (out);
}
