#include "cnvml.h"
int cnvml_loader_version(void) { return 0; }
