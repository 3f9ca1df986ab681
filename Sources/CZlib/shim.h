// Types and constants only (z_stream, Z_OK, ...): the functions are looked up with dlsym
// on the first gzip (see Gzip.swift), so the daemon maps no libz until it needs one.
#include <zlib.h>
