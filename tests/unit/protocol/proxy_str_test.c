#include "config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proxy.h"

/* Too small a buffer, names, every error has its text. */
START_TEST(test_helpers)
{
	struct proxy_addr	 a;
	char			 buf[16];
	int			 e;

	memset(&a, 0, sizeof(a));
	memcpy(a.ip, "\xc0\x00\x02\x01", 4);
	/* "192.0.2.1" and its NUL need 10 bytes. */
	ck_assert_int_eq(proxy_addr_str(PROXY_FAM_TCP4, &a, buf, 9), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(proxy_addr_str(PROXY_FAM_TCP4, &a, buf, 10), 9);
	ck_assert_str_eq(buf, "192.0.2.1");
	ck_assert_int_eq(proxy_addr_str(PROXY_FAM_UNSPEC, &a, buf, 1), 0);
	ck_assert_int_eq(proxy_addr_str(PROXY_FAM_UNIX, &a, buf, 8), 0);
	a.ip[0] = 1;
	ck_assert_int_eq(proxy_addr_str(PROXY_FAM_TCP4, &a, buf, 8), 7);
	ck_assert_str_eq(buf, "1.0.2.1");
	ck_assert_str_eq(proxy_family_name(PROXY_FAM_TCP6), "TCP6");
	ck_assert_str_eq(proxy_command_name(PROXY_CMD_LOCAL), "LOCAL");
	for (e = PROXY_ERR_CHECKSUM; e <= PROXY_NEED_MORE; e++)
		ck_assert_str_ne(proxy_error_str(e), "unknown PROXY error");
	ck_assert_str_eq(proxy_error_str(-100), "unknown PROXY error");
}
END_TEST

/*
 * IPv6 text both ways against libc: addresses made of zero and non-zero
 * groups in every pattern (all 256, each with three fillers: small, 0xffff
 * and mapped-IPv4-like), printed as inet_ntop prints them, and read back by
 * the v1 parser as inet_pton reads them.
 */
START_TEST(test_ip6_libc)
{
	static const unsigned	 fill[] = { 0x1, 0xffff, 0xc000 };
	struct proxy_addr	 a;
	struct proxy_hdr	 h;
	char			 ours[PROXY_ADDRSTRLEN], libc[INET6_ADDRSTRLEN];
	char			 line[160];
	unsigned		 mask, f, i;
	int			 n;

	memset(&a, 0, sizeof(a));
	for (mask = 0; mask < 256; mask++)
		for (f = 0; f < 3; f++) {
			for (i = 0; i < 8; i++) {
				unsigned w = (mask >> i & 1) ? fill[f] + i : 0;

				a.ip[2 * i] = (uint8_t)(w >> 8);
				a.ip[2 * i + 1] = (uint8_t)w;
			}
			ck_assert_int_ge(proxy_addr_str(PROXY_FAM_TCP6, &a,
			    ours, sizeof(ours)), 0);
			ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a.ip, libc,
			    sizeof(libc)));
			ck_assert_str_eq(ours, libc);
			n = snprintf(line, sizeof(line),
			    "PROXY TCP6 %s ::1 1 2\r\n", libc);
			ck_assert_int_eq(proxy_parse(line, (size_t)n, &h), n);
			ck_assert_mem_eq(h.src.ip, a.ip, 16);
		}
	/* The mapped and compatible forms. */
	memcpy(a.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
	ck_assert_int_ge(proxy_addr_str(PROXY_FAM_TCP6, &a, ours,
	    sizeof(ours)), 0);
	ck_assert_str_eq(ours, "::ffff:127.0.0.1");
	a.ip[10] = a.ip[11] = 0;
	ck_assert_int_ge(proxy_addr_str(PROXY_FAM_TCP6, &a, ours,
	    sizeof(ours)), 0);
	ck_assert_str_eq(ours, "::127.0.0.1");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("proxy_str");
	TCase	*tc = tcase_create("text");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_ip6_libc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
