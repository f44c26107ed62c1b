/* Placeholder until the channel lands. */
#ifndef FERRY_SERVER_WCHAN_H
#define FERRY_SERVER_WCHAN_H
#endif
