/*
 * Test input that ends at a PROT_NONE guard page, so that a parser reading
 * one byte past its input faults at once (picohttpparser's test trick).
 */
#ifndef FERRY_TESTS_GUARD_H
#define FERRY_TESTS_GUARD_H

#include <stddef.h>

struct guard {
	char	*map;		/* whole mapping: data pages + guard page */
	size_t	 maplen;
};

/*
 * Copies data[0..len) so that its last byte is the last byte before the
 * guard page and returns the copy.  Each call replaces the previous copy
 * held by g.  Aborts the test on failure.
 */
char	*guard_copy(struct guard *g, const void *data, size_t len);

/* Unmaps the copy. */
void	 guard_free(struct guard *g);

#endif
