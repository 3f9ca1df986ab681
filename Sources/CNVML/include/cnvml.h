#ifndef VITALS_CNVML_H
#define VITALS_CNVML_H
/* Placeholder until the NVML loader lands (issue 4). */
int cnvml_loader_version(void);
#endif
