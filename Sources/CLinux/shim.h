#ifndef VITALS_CLINUX_SHIM_H
#define VITALS_CLINUX_SHIM_H
// Glibc's Swift overlay hides these (they sit behind _GNU_SOURCE), so declare them here.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/resource.h>
#include <pthread.h>
#include <sys/random.h>
#include <malloc.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
#endif
