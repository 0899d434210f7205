/*
 * Read a whole file from an fd the parent passed: keys, certificates.
 * pread from offset 0, so that dup'd fds sharing an offset all work.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

/* The buffer gets a NUL after the data; free it with freezero(). */
int
fd_read_all(int fd, size_t max, unsigned char **bufp, size_t *lenp)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 len = 0;
	ssize_t		 n;

	if (fstat(fd, &st) == -1)
		return (-1);
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (unsigned long long)st.st_size > max) {
		errno = EFBIG;
		return (-1);
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		return (-1);
	while (len < (size_t)st.st_size) {
		n = pread(fd, buf + len, st.st_size - len, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			freezero(buf, st.st_size + 1);
			if (n == 0)
				errno = EIO;	/* the file shrank */
			return (-1);
		}
		len += n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return (0);
}
