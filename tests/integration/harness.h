/* Placeholder until the harness lands. */
#ifndef FERRY_TESTS_HARNESS_H
#define FERRY_TESTS_HARNESS_H
#endif
