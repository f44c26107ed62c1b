/*
 * ferryd: the ferry master.  For now it knows its command line; serving
 * lands with the master (see README.md).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void	usage(FILE *fp);

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: ferryd [-c FILE] [--listen ADDR]... [--cgi PREFIX=DIR]...\n"
"              [--app PREFIX=COMMAND]... [--workers N]\n"
"              [--access-log PATH] [--error-log PATH] [--foreground]\n"
"              [--version] [--help]\n"
"\n"
"  -c, --config FILE      read settings from FILE (ferry.conf(5))\n"
"  -l, --listen ADDR      listen on HOST:PORT, [IPV6]:PORT, :PORT or unix:PATH\n"
"                         (repeatable; default 127.0.0.1:8080)\n"
"      --cgi PREFIX=DIR   run executables in DIR as CGI scripts for URL paths\n"
"                         under PREFIX (repeatable; longest prefix wins)\n"
"      --app PREFIX=CMD   serve PREFIX with a pool of FastCGI workers running CMD\n"
"      --workers N        workers in each --app pool\n"
"      --access-log PATH  write the access log to PATH (default: stderr)\n"
"      --error-log PATH   write the error log to PATH (default: stderr)\n"
"      --foreground       stay in the foreground (always the case)\n"
"  -V, --version          print the version and exit\n"
"  -h, --help             print this help and exit\n"
"\n"
"See ferryd(8) and ferry.conf(5).\n");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "cgi",	required_argument,	NULL, 'C' },
		{ "app",	required_argument,	NULL, 'A' },
		{ "workers",	required_argument,	NULL, 'W' },
		{ "access-log",	required_argument,	NULL, 'a' },
		{ "error-log",	required_argument,	NULL, 'e' },
		{ "foreground",	no_argument,		NULL, 'F' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "c:l:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("ferryd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'c': case 'l': case 'C': case 'A': case 'W':
		case 'a': case 'e': case 'F':
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ferryd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	fprintf(stderr, "ferryd: serving is not implemented yet in this build\n");
	return 1;
}
