/* Placeholder until libferry lands. */
#ifndef FERRY_H
#define FERRY_H
#endif
