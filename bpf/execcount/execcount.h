/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between execcount.bpf.c (kernel) and execcount.c (loader). */
#ifndef EXECCOUNT_H
#define EXECCOUNT_H

#define EXECCOUNT_MAX_UIDS 1024

#endif
