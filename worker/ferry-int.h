/* Placeholder until libferry lands. */
#ifndef FERRY_INT_H
#define FERRY_INT_H
#endif
