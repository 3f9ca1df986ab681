/*
 * A fake libnvidia-ml.so.1 for the NVML loader tests. The tests compile it at run time
 * (cc -shared -fPIC) and load it through the same dlopen path the daemon uses.
 *
 * Types are declared here independently of Sources/CNVML on purpose: they copy
 * NVIDIA's ABI, so a layout mistake in the loader shows up as wrong values.
 *
 * The scenario is read from the environment at nvmlInit, so one test process can
 * switch between them (dlopen of the same path returns the same handle and state):
 *   FAKE_NVML_SCENARIO  two (default) | unsupported | lost | bigbuf | initfail
 *   FAKE_NVML_LOST_AFTER  lost: device calls that succeed before every call says GPU_IS_LOST
 *   FAKE_NVML_RUN       any token; a new value starts the scenario afresh (e.g. "lost"
 *                       fires only in the first nvmlInit of a run, so re-init recovers)
 *   FAKE_NVML_MEMORY_GIB  every device's total memory (default: 24 GiB and 80 GiB), so the
 *                       advisor is tested against 8, 24 and 80 GB cards
 *   FAKE_NVML_USED_MIB  every device's used memory (default: 8 GiB and 60 GiB)
 *   FAKE_NVML_RAMP_MIB_PER_S  GPU 1's used memory grows by this much a second from the
 *                       first nvmlInit (up to 1 GiB short of full): a trend to forecast
 * Built with -DFAKE_NO_VERSIONED it exports only the plain (oldest) symbols and lacks
 * nvmlDeviceGetEnforcedPowerLimit, nvmlSystemGetNVMLVersion and the graphics list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

typedef int nvmlReturn_t;
#define OK 0
#define ERR_UNINITIALIZED 1
#define ERR_INVALID_ARGUMENT 2
#define ERR_NOT_SUPPORTED 3
#define ERR_INSUFFICIENT_SIZE 7
#define ERR_DRIVER_NOT_LOADED 9
#define ERR_GPU_IS_LOST 15
#define ERR_ARGUMENT_VERSION_MISMATCH 25
#define NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL

struct dev { int index; };
typedef struct dev *nvmlDevice_t;

typedef struct { unsigned long long total, free, used; } mem_v1;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } mem_v2;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } proc_v1;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gi, ci; } proc_v2;
typedef struct { char busIdLegacy[16]; unsigned int domain, bus, device, pciDeviceId, pciSubSystemId; char busId[32]; } pci_v3;
typedef struct { char busId[16]; unsigned int domain, bus, device, pciDeviceId, pciSubSystemId, r0, r1, r2, r3; } pci_v1;
typedef struct { unsigned int gpu, memory; } util_t;

#define EXPORT __attribute__((visibility("default")))

static struct dev devices[2] = { { 0 }, { 1 } };
static char scenario[32] = "two";
static char run_token[128];
static int initialized;
static int inits_in_run;
static long device_calls;
/* Calls per device index: a sleeping GPU must not be asked anything. */
static int calls_per_device[2];
EXPORT int fake_nvml_device0_calls(void) { return calls_per_device[0]; }
EXPORT int fake_nvml_device1_calls(void) { return calls_per_device[1]; }
static long lost_after = -1;
static int bigbuf_calls;
static unsigned long long memory_gib, used_mib;  /* 0: the defaults */
static double ramp_mib_per_s;
static struct timespec ramp_start;

/* Counters the tests read through dlsym, to check what the loader called. */
static int total_inits, total_process_calls;
EXPORT int fake_nvml_init_count(void) { return total_inits; }
EXPORT int fake_nvml_process_calls(void) { return total_process_calls; }

static int is(const char *s) { return strcmp(scenario, s) == 0; }

static nvmlReturn_t do_init(void) {
    const char *s = getenv("FAKE_NVML_SCENARIO");
    const char *r = getenv("FAKE_NVML_RUN");
    const char *l = getenv("FAKE_NVML_LOST_AFTER");
    char token[sizeof run_token];
    snprintf(token, sizeof token, "%s/%s", s ? s : "two", r ? r : "");
    if (strcmp(token, run_token) != 0) {
        snprintf(run_token, sizeof run_token, "%s", token);
        inits_in_run = 0;
    }
    snprintf(scenario, sizeof scenario, "%s", s ? s : "two");
    total_inits++;
    inits_in_run++;
    device_calls = 0;
    bigbuf_calls = 0;
    const char *mg = getenv("FAKE_NVML_MEMORY_GIB"), *um = getenv("FAKE_NVML_USED_MIB");
    memory_gib = mg ? strtoull(mg, NULL, 10) : 0;
    used_mib = um ? strtoull(um, NULL, 10) : 0;
    const char *ramp = getenv("FAKE_NVML_RAMP_MIB_PER_S");
    ramp_mib_per_s = ramp ? strtod(ramp, NULL) : 0;
    if (total_inits == 1) clock_gettime(CLOCK_MONOTONIC, &ramp_start);
    lost_after = (is("lost") && inits_in_run == 1) ? (l ? atol(l) : 3) : -1;
    if (is("initfail")) return ERR_DRIVER_NOT_LOADED;
    initialized = 1;
    return OK;
}

/* Every per-device call goes through here: it is where the GPU gets lost. */
static nvmlReturn_t enter(nvmlDevice_t d) {
    if (!initialized) return ERR_UNINITIALIZED;
    if (d != &devices[0] && d != &devices[1]) return ERR_INVALID_ARGUMENT;
    device_calls++;
    calls_per_device[d == &devices[0] ? 0 : 1]++;
    if (lost_after >= 0 && device_calls > lost_after) return ERR_GPU_IS_LOST;
    return OK;
}

static int unsupported(nvmlDevice_t d) { return is("unsupported") && d->index == 0; }

EXPORT nvmlReturn_t nvmlInit(void) { return do_init(); }
EXPORT nvmlReturn_t nvmlShutdown(void) { initialized = 0; return OK; }

EXPORT const char *nvmlErrorString(nvmlReturn_t rc) {
    switch (rc) {
    case OK: return "Success";
    case ERR_NOT_SUPPORTED: return "Not Supported";
    case ERR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case ERR_GPU_IS_LOST: return "GPU is lost";
    case ERR_INSUFFICIENT_SIZE: return "Insufficient Size";
    default: return "Unknown Error";
    }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int len) {
    if (!initialized) return ERR_UNINITIALIZED;
    if (len < 10) return ERR_INSUFFICIENT_SIZE;
    snprintf(buf, len, "550.54.15");
    return OK;
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) {
    if (!initialized) return ERR_UNINITIALIZED;
    *v = 12040;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *n) {
    if (!initialized) return ERR_UNINITIALIZED;
    *n = 2;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d) {
    if (!initialized) return ERR_UNINITIALIZED;
    if (i >= 2) return ERR_INVALID_ARGUMENT;
    nvmlReturn_t rc = enter(&devices[i]);
    if (rc != OK) return rc;
    *d = &devices[i];
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    snprintf(buf, len, "%s", d->index == 0 ? "NVIDIA GeForce RTX 4090" : "NVIDIA A100-SXM4-80GB");
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    snprintf(buf, len, "GPU-0000000%d-1111-2222-3333-444444444444", d->index);
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t d, pci_v1 *p) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    memset(p, 0, sizeof *p);
    snprintf(p->busId, sizeof p->busId, "0000:%02X:00.0", d->index == 0 ? 1 : 0x41);
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, util_t *u) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    u->gpu = d->index == 0 ? 45 : 100;
    u->memory = d->index == 0 ? 30 : 75;
    return OK;
}

static const unsigned long long GiB = 1ULL << 30, MiB = 1ULL << 20;

/* FAKE_NVML_PROCESS="pid:bytes,...": compute processes of GPU 0, read at every call so a
 * test can make a job's memory appear; their bytes count as used memory too. */
static unsigned int extra_processes(unsigned int *pids, unsigned long long *used, unsigned int room) {
    const char *e = getenv("FAKE_NVML_PROCESS");
    unsigned int n = 0;
    while (e && *e && n < room) {
        char *end;
        unsigned long pid = strtoul(e, &end, 10);
        if (*end != ':') break;
        unsigned long long bytes = strtoull(end + 1, &end, 10);
        if (pids) { pids[n] = (unsigned int)pid; used[n] = bytes; }
        n++;
        e = *end == ',' ? end + 1 : end;
    }
    return n;
}

static unsigned long long extra_bytes(void) {
    unsigned int pids[16]; unsigned long long used[16];
    unsigned int n = extra_processes(pids, used, 16);
    unsigned long long sum = 0;
    for (unsigned int i = 0; i < n; i++) sum += used[i];
    return sum;
}

static unsigned long long total_of(nvmlDevice_t d) { return memory_gib ? memory_gib * GiB : (d->index == 0 ? 24 * GiB : 80 * GiB); }
static unsigned long long used_of(nvmlDevice_t d) {
    unsigned long long u = used_mib ? used_mib * MiB : (d->index == 0 ? 8 * GiB : 60 * GiB);
    if (d->index == 0) u += extra_bytes();
    if (d->index == 1 && ramp_mib_per_s > 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - ramp_start.tv_sec) + (now.tv_nsec - ramp_start.tv_nsec) / 1e9;
        u += (unsigned long long)(ramp_mib_per_s * s * (double)MiB);
        if (u > total_of(d) - GiB) u = total_of(d) - GiB;
    }
    return u < total_of(d) ? u : total_of(d) / 2;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, mem_v1 *m) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    m->total = total_of(d);
    m->used = used_of(d);
    m->free = m->total - m->used;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (sensor != 0) return ERR_INVALID_ARGUMENT;
    *t = d->index == 0 ? 65 : 71;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t d, unsigned int *f) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    /* A100 SXM boards have no fan: the real driver says NOT_SUPPORTED too. */
    if (unsupported(d) || d->index == 1) return ERR_NOT_SUPPORTED;
    *f = 40;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    *mw = d->index == 0 ? 250500 : 400000;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (type == 1) *mhz = d->index == 0 ? 2520 : 1410;
    else if (type == 2) *mhz = d->index == 0 ? 10501 : 1593;
    else return ERR_INVALID_ARGUMENT;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    if (type == 1) *mhz = d->index == 0 ? 3105 : 1410;
    else if (type == 2) *mhz = d->index == 0 ? 10501 : 1593;
    else return ERR_INVALID_ARGUMENT;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t d, int *p) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    *p = d->index == 0 ? 2 : 0;
    return OK;
}

/* The processes of one GPU and kind, written into either layout. */
static nvmlReturn_t processes(nvmlDevice_t d, int graphics, unsigned int *count, void *infos, int v2) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    total_process_calls++;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    unsigned int n = 0;
    unsigned int pids[64];
    unsigned long long used[64];
    if (is("bigbuf") && d->index == 0 && !graphics) {
        /* More processes appear between the sizing answer and the retry. */
        bigbuf_calls++;
        n = bigbuf_calls == 1 ? 20 : 40;
        for (unsigned int i = 0; i < n; i++) { pids[i] = 100000 + i; used[i] = (i + 1) * MiB; }
    } else if (d->index == 0 && !is("bigbuf")) {
        /* This very process, so /proc/PID/comm resolves; it is in both lists. */
        pids[n] = (unsigned int)getpid(); used[n++] = graphics ? NOT_AVAILABLE : 1536 * MiB;
        if (!graphics) { pids[n] = 4194303; used[n++] = NOT_AVAILABLE; }
        if (!graphics) n += extra_processes(pids + n, used + n, 16);
    }
    if (*count < n) { *count = n; return ERR_INSUFFICIENT_SIZE; }
    *count = n;
    for (unsigned int i = 0; i < n; i++) {
        if (v2) {
            proc_v2 *p = (proc_v2 *)infos + i;
            p->pid = pids[i]; p->usedGpuMemory = used[i]; p->gi = 0xFFFFFFFF; p->ci = 0xFFFFFFFF;
        } else {
            proc_v1 *p = (proc_v1 *)infos + i;
            p->pid = pids[i]; p->usedGpuMemory = used[i];
        }
    }
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *c, proc_v1 *p) {
    return processes(d, 0, c, p, 0);
}

#ifndef FAKE_NO_VERSIONED
EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d, unsigned int *c, proc_v1 *p) {
    return processes(d, 1, c, p, 0);
}

EXPORT nvmlReturn_t nvmlInit_v2(void) { return do_init(); }

EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *buf, unsigned int len) {
    if (!initialized) return ERR_UNINITIALIZED;
    snprintf(buf, len, "12.550.54.15");
    return OK;
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v) { return nvmlSystemGetCudaDriverVersion(v); }
EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) { return nvmlDeviceGetCount(n); }
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d) {
    return nvmlDeviceGetHandleByIndex(i, d);
}

EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, pci_v3 *p) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    memset(p, 0, sizeof *p);
    snprintf(p->busIdLegacy, sizeof p->busIdLegacy, "0000:%02X:00.0", d->index == 0 ? 1 : 0x41);
    snprintf(p->busId, sizeof p->busId, "00000000:%02X:00.0", d->index == 0 ? 1 : 0x41);
    p->bus = d->index == 0 ? 1 : 0x41;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, mem_v2 *m) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (m->version != (unsigned int)(sizeof(mem_v2) | (2u << 24))) return ERR_ARGUMENT_VERSION_MISMATCH;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    m->total = total_of(d);
    m->reserved = d->index == 0 ? 300 * MiB : 500 * MiB;
    m->used = used_of(d);
    m->free = m->total - m->used - m->reserved;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw) {
    nvmlReturn_t rc = enter(d); if (rc) return rc;
    if (unsupported(d)) return ERR_NOT_SUPPORTED;
    *mw = d->index == 0 ? 450000 : 400000;
    return OK;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, proc_v2 *p) {
    return processes(d, 0, c, p, 1);
}

EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, proc_v2 *p) {
    return processes(d, 1, c, p, 1);
}
#endif
