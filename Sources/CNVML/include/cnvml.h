#ifndef VITALS_CNVML_H
#define VITALS_CNVML_H
/*
 * The small part of NVML that Vitals uses, declared here because Debian ships no
 * nvml.h, and loaded with dlopen because most machines that run Vitals have no
 * NVIDIA driver: there is no link-time dependency on libnvidia-ml.
 *
 * Types and values follow NVIDIA's nvml.h (ABI-stable since the 3xx drivers).
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- NVML ABI subset ---------------------------------------------------- */

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_INSUFFICIENT_POWER = 8,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_IRQ_ISSUE = 11,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_OPERATING_SYSTEM = 17,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19,
    NVML_ERROR_MEMORY = 20,
    NVML_ERROR_NO_DATA = 21,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_UNKNOWN = 999
};

typedef struct nvmlDevice_st *nvmlDevice_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;          /* sizeof(nvmlMemory_v2_t) | 2 << 24 */
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;
#define CNVML_MEMORY_V2_VERSION ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

/* Layout of the plain nvmlDevice*RunningProcesses symbols. */
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

/* Layout of the _v2 and _v3 symbols. */
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

/* usedGpuMemory when the driver cannot tell (e.g. Windows WDDM, some containers). */
#define CNVML_VALUE_NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL

/* Layout of nvmlDeviceGetPciInfo_v2/_v3. */
typedef struct {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

/* Layout of the plain nvmlDeviceGetPciInfo (drivers before 3xx). */
typedef struct {
    char busId[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    unsigned int reserved0, reserved1, reserved2, reserved3;
} nvmlPciInfo_v1_t;

typedef struct {
    unsigned int gpu;      /* percent of time a kernel ran over the last sample period */
    unsigned int memory;   /* percent of time device memory was read or written */
} nvmlUtilization_t;

enum { NVML_TEMPERATURE_GPU = 0 };
enum { NVML_CLOCK_GRAPHICS = 0, NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2 };
enum { NVML_PSTATE_UNKNOWN = 32 };

/* ---- Vitals' C API ------------------------------------------------------ */

typedef struct cnvml_lib cnvml_lib;

/* Every field comes with the NVML return code that produced it; a symbol the
 * driver lacks reads as NVML_ERROR_FUNCTION_NOT_FOUND and is never called. */
struct cnvml_system_info {
    char driver_version[96];  int driver_version_rc;
    char nvml_version[96];    int nvml_version_rc;
    int cuda_driver_version;  int cuda_driver_version_rc;   /* e.g. 12040 */
};

struct cnvml_device_sample {
    int handle_rc;           /* when not NVML_SUCCESS no other field was read */
    char name[96];           int name_rc;
    char uuid[96];           int uuid_rc;
    char pci_bus_id[36];     int pci_rc;
    unsigned int util_gpu, util_memory;                     int util_rc;
    unsigned long long mem_total, mem_used, mem_free;       int mem_rc;
    unsigned long long mem_reserved;                        int mem_reserved_rc;
    unsigned int temperature_c;                             int temperature_rc;
    unsigned int fan_percent;                               int fan_rc;
    unsigned int power_mw;                                  int power_rc;
    unsigned int power_limit_mw;                            int power_limit_rc;
    unsigned int sm_clock_mhz;                              int sm_clock_rc;
    unsigned int sm_clock_max_mhz;                          int sm_clock_max_rc;
    unsigned int mem_clock_mhz;                             int mem_clock_rc;
    unsigned int mem_clock_max_mhz;                         int mem_clock_max_rc;
    int pstate;                                             int pstate_rc;
};

enum { CNVML_PROCESSES_COMPUTE = 0, CNVML_PROCESSES_GRAPHICS = 1 };

struct cnvml_process {
    unsigned int pid;
    int used_memory_known;              /* 0 when NVML said "not available" */
    unsigned long long used_memory;
};

/* Loads the library (NULL path: "libnvidia-ml.so.1") and resolves its symbols.
 * On failure returns NULL and writes why into errbuf. */
cnvml_lib *cnvml_open(const char *path, char *errbuf, size_t errbuf_len);
/* Unloads; the handle is invalid afterwards. Call cnvml_shutdown first. */
void cnvml_close(cnvml_lib *lib);

nvmlReturn_t cnvml_init(cnvml_lib *lib);
nvmlReturn_t cnvml_shutdown(cnvml_lib *lib);
/* The driver's text when it has nvmlErrorString, else a fixed one; never NULL. */
const char *cnvml_error_string(cnvml_lib *lib, nvmlReturn_t rc);
/* Which versioned symbol was bound for a function, e.g. "nvmlInit_v2" (tests, logs). */
const char *cnvml_bound_symbol(cnvml_lib *lib, const char *function);

void cnvml_system_info(cnvml_lib *lib, struct cnvml_system_info *out);
nvmlReturn_t cnvml_device_count(cnvml_lib *lib, unsigned int *count);
/* Fills every field of out; returns handle_rc. */
nvmlReturn_t cnvml_device_sample(cnvml_lib *lib, unsigned int index, struct cnvml_device_sample *out);
/* Running processes of one kind on one GPU. *out points into a buffer owned by lib,
 * valid until the next call. Grows the buffer on NVML_ERROR_INSUFFICIENT_SIZE. */
nvmlReturn_t cnvml_processes(cnvml_lib *lib, unsigned int index, int kind,
                             const struct cnvml_process **out, unsigned int *count);

#ifdef __cplusplus
}
#endif
#endif
