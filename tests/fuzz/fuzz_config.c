/* fuzz_config.c — the YAML configuration loader (daemon/config.c) over a file's bytes. It reads
 * a path, so the input is written to an in-memory file (memfd) and loaded through
 * /proc/self/fd: the loader reads exactly the bytes written. A configuration that loads is
 * copied, compared and cleared, as a SIGHUP reload does. Inputs are capped at 64 KB: deeper
 * YAML nesting than that is a known quadratic cost (issue 17, item 5), not what this harness
 * looks for. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tests/fuzz/fuzz.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct config cfg, copy = {0};
	char err[512];
	if (config_load(&cfg, path, err, sizeof err) == 0) {
		config_copy(&copy, &cfg);
		if (!config_equal(&copy, &cfg))
			abort(); /* a copy must equal its original */
		(void)config_validate(&cfg, err, sizeof err);
		config_clear(&copy);
	} else if (err[0] == '\0') {
		abort(); /* an error always says why */
	}
	config_clear(&cfg);
	return 0;
}
