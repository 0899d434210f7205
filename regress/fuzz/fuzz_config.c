/*
 * Fuzz the routstrd.conf parser: the input is written to a file, which
 * parse_config() reads, then config_free().  A configuration that parses
 * must also survive the round trip: what config_print() writes parses
 * again and prints the same.  Error messages go to /dev/null; host names
 * are not looked up (only numeric addresses resolve), so that no input
 * waits on DNS.
 */

#include <sys/types.h>

#include <dlfcn.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	getaddrinfo(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);

static char	 path[] = "/tmp/fuzz_config.XXXXXX";
static int	 fd = -1;

static void	 cleanup(void);
static void	 put(const void *, size_t);
static char	*print(struct routstrd_conf *, size_t *);

/* The parser's lookups, numeric only. */
int
getaddrinfo(const char *host, const char *serv, const struct addrinfo *hints,
    struct addrinfo **res)
{
	static int	(*real)(const char *, const char *,
			    const struct addrinfo *, struct addrinfo **);
	struct addrinfo	 h;

	if (real == NULL &&
	    (real = (int (*)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **))
	    dlsym(RTLD_NEXT, "getaddrinfo")) == NULL)
		abort();
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return (real(host, serv, &h, res));
}

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((fd = mkstemp(path)) == -1)
		abort();
	atexit(cleanup);
	/* The parser's complaints; sanitizer reports use fd 2 itself. */
	if ((stderr = fopen("/dev/null", "w")) == NULL)
		abort();
	return (0);
}

static void
put(const void *data, size_t size)
{
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
}

static char *
print(struct routstrd_conf *conf, size_t *len)
{
	FILE	*fp;
	char	*buf = NULL;

	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	config_print(fp, conf);
	if (fclose(fp) != 0)
		abort();
	return (buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct routstrd_conf	*conf;
	char			*out1, *out2;
	size_t			 len1, len2;

	put(data, size);
	if ((conf = parse_config(path)) == NULL)
		return (0);
	out1 = print(conf, &len1);
	config_free(conf);

	put(out1, len1);
	if ((conf = parse_config(path)) == NULL)
		__builtin_trap();	/* printed but does not parse */
	out2 = print(conf, &len2);
	config_free(conf);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		__builtin_trap();	/* does not print the same */
	free(out1);
	free(out2);
	return (0);
}
