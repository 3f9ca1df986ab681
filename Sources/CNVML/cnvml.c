#include "cnvml.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which layout a bound symbol expects. Newer drivers keep the old symbols for old
 * binaries, so we bind the newest one the driver has and pass the matching struct. */
enum abi { ABI_PLAIN = 1, ABI_V2 = 2, ABI_V3 = 3 };

struct bound {
    void *fn;
    char symbol[64];      /* the name actually resolved, or "" */
    enum abi abi;
};

struct cnvml_lib {
    void *dl;
    struct bound init, shutdown, error_string;
    struct bound driver_version, nvml_version, cuda_version;
    struct bound count, handle, name, uuid, pci, util, memory, memory_v2;
    struct bound temperature, fan, power, power_limit, clock, max_clock, pstate;
    struct bound compute_procs, graphics_procs;

    /* Process list buffers, grown on demand and kept between calls. */
    void *raw;                    /* nvmlProcessInfo_t or _v1_t array */
    size_t raw_bytes;
    struct cnvml_process *procs;
    unsigned int procs_cap;
};

typedef nvmlReturn_t (*fn_void)(void);
typedef const char *(*fn_errstr)(nvmlReturn_t);
typedef nvmlReturn_t (*fn_str)(char *, unsigned int);
typedef nvmlReturn_t (*fn_int)(int *);
typedef nvmlReturn_t (*fn_uint)(unsigned int *);
typedef nvmlReturn_t (*fn_handle)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*fn_dev_str)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*fn_dev_ptr)(nvmlDevice_t, void *);
typedef nvmlReturn_t (*fn_dev_uint)(nvmlDevice_t, unsigned int *);
typedef nvmlReturn_t (*fn_dev_int)(nvmlDevice_t, int *);
typedef nvmlReturn_t (*fn_dev_enum_uint)(nvmlDevice_t, int, unsigned int *);
typedef nvmlReturn_t (*fn_dev_procs)(nvmlDevice_t, unsigned int *, void *);

/* Binds the first of `base`+"_v3", "_v2", "" that the library exports, limited to
 * the versions we know the layout of (max_abi). */
static struct bound bind(void *dl, const char *base, enum abi max_abi) {
    static const char *const suffix[] = { "", "", "_v2", "_v3" };
    struct bound b;
    memset(&b, 0, sizeof b);
    b.abi = ABI_PLAIN;
    for (int v = (int)max_abi; v >= ABI_PLAIN; v--) {
        snprintf(b.symbol, sizeof b.symbol, "%s%s", base, suffix[v]);
        b.fn = dlsym(dl, b.symbol);
        if (b.fn) {
            b.abi = (enum abi)v;
            return b;
        }
    }
    b.symbol[0] = 0;
    return b;
}

#define ALL_BOUND(X) \
    X(init) X(shutdown) X(error_string) X(driver_version) X(nvml_version) X(cuda_version) \
    X(count) X(handle) X(name) X(uuid) X(pci) X(util) X(memory) X(memory_v2) \
    X(temperature) X(fan) X(power) X(power_limit) X(clock) X(max_clock) X(pstate) \
    X(compute_procs) X(graphics_procs)

cnvml_lib *cnvml_open(const char *path, char *errbuf, size_t errbuf_len) {
    if (!path || !*path) path = "libnvidia-ml.so.1";
    if (errbuf && errbuf_len) errbuf[0] = 0;
    dlerror();
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "%s", e ? e : "dlopen failed");
        return NULL;
    }
    cnvml_lib *lib = calloc(1, sizeof *lib);
    if (!lib) {
        dlclose(dl);
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    lib->dl = dl;
    lib->init = bind(dl, "nvmlInit", ABI_V3);
    lib->shutdown = bind(dl, "nvmlShutdown", ABI_PLAIN);
    lib->error_string = bind(dl, "nvmlErrorString", ABI_PLAIN);
    lib->driver_version = bind(dl, "nvmlSystemGetDriverVersion", ABI_PLAIN);
    lib->nvml_version = bind(dl, "nvmlSystemGetNVMLVersion", ABI_PLAIN);
    lib->cuda_version = bind(dl, "nvmlSystemGetCudaDriverVersion", ABI_V2);
    lib->count = bind(dl, "nvmlDeviceGetCount", ABI_V3);
    lib->handle = bind(dl, "nvmlDeviceGetHandleByIndex", ABI_V3);
    lib->name = bind(dl, "nvmlDeviceGetName", ABI_PLAIN);
    lib->uuid = bind(dl, "nvmlDeviceGetUUID", ABI_PLAIN);
    lib->pci = bind(dl, "nvmlDeviceGetPciInfo", ABI_V3);
    lib->util = bind(dl, "nvmlDeviceGetUtilizationRates", ABI_PLAIN);
    lib->memory = bind(dl, "nvmlDeviceGetMemoryInfo", ABI_PLAIN);
    lib->memory_v2 = bind(dl, "nvmlDeviceGetMemoryInfo_v2", ABI_PLAIN);
    lib->temperature = bind(dl, "nvmlDeviceGetTemperature", ABI_PLAIN);
    lib->fan = bind(dl, "nvmlDeviceGetFanSpeed", ABI_PLAIN);
    lib->power = bind(dl, "nvmlDeviceGetPowerUsage", ABI_PLAIN);
    lib->power_limit = bind(dl, "nvmlDeviceGetEnforcedPowerLimit", ABI_PLAIN);
    lib->clock = bind(dl, "nvmlDeviceGetClockInfo", ABI_PLAIN);
    lib->max_clock = bind(dl, "nvmlDeviceGetMaxClockInfo", ABI_PLAIN);
    lib->pstate = bind(dl, "nvmlDeviceGetPerformanceState", ABI_PLAIN);
    lib->compute_procs = bind(dl, "nvmlDeviceGetComputeRunningProcesses", ABI_V3);
    lib->graphics_procs = bind(dl, "nvmlDeviceGetGraphicsRunningProcesses", ABI_V3);

    const char *missing = !lib->init.fn ? "nvmlInit"
        : !lib->shutdown.fn ? "nvmlShutdown"
        : !lib->count.fn ? "nvmlDeviceGetCount"
        : !lib->handle.fn ? "nvmlDeviceGetHandleByIndex" : NULL;
    if (missing) {
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "%s: not an NVML library (no %s)", path, missing);
        cnvml_close(lib);
        return NULL;
    }
    return lib;
}

void cnvml_close(cnvml_lib *lib) {
    if (!lib) return;
    free(lib->raw);
    free(lib->procs);
    if (lib->dl) dlclose(lib->dl);
    free(lib);
}

const char *cnvml_bound_symbol(cnvml_lib *lib, const char *function) {
    if (!lib || !function) return NULL;
#define MATCH(f) if (lib->f.fn && strcmp(function, #f) == 0) return lib->f.symbol;
    ALL_BOUND(MATCH)
#undef MATCH
    return NULL;
}

nvmlReturn_t cnvml_init(cnvml_lib *lib) {
    return ((fn_void)lib->init.fn)();
}

nvmlReturn_t cnvml_shutdown(cnvml_lib *lib) {
    return ((fn_void)lib->shutdown.fn)();
}

const char *cnvml_error_string(cnvml_lib *lib, nvmlReturn_t rc) {
    if (lib && lib->error_string.fn) {
        const char *s = ((fn_errstr)lib->error_string.fn)(rc);
        if (s) return s;
    }
    switch (rc) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch";
    default: return "Unknown Error";
    }
}

/* Calls a bound function or reports it missing; the output is zeroed either way. */
#define CALL(b, expr) ((b).fn ? (expr) : NVML_ERROR_FUNCTION_NOT_FOUND)

static void terminate(char *s, size_t n) { s[n - 1] = 0; }

void cnvml_system_info(cnvml_lib *lib, struct cnvml_system_info *out) {
    memset(out, 0, sizeof *out);
    /* NVML's buffer-size constants for these are 80: ours are larger. */
    out->driver_version_rc = CALL(lib->driver_version,
        ((fn_str)lib->driver_version.fn)(out->driver_version, sizeof out->driver_version));
    terminate(out->driver_version, sizeof out->driver_version);
    out->nvml_version_rc = CALL(lib->nvml_version,
        ((fn_str)lib->nvml_version.fn)(out->nvml_version, sizeof out->nvml_version));
    terminate(out->nvml_version, sizeof out->nvml_version);
    out->cuda_driver_version_rc = CALL(lib->cuda_version,
        ((fn_int)lib->cuda_version.fn)(&out->cuda_driver_version));
}

nvmlReturn_t cnvml_device_count(cnvml_lib *lib, unsigned int *count) {
    *count = 0;
    return ((fn_uint)lib->count.fn)(count);
}

static nvmlReturn_t handle_at(cnvml_lib *lib, unsigned int index, nvmlDevice_t *dev) {
    *dev = NULL;
    return ((fn_handle)lib->handle.fn)(index, dev);
}

static nvmlReturn_t read_pci(cnvml_lib *lib, nvmlDevice_t dev, char *out, size_t n) {
    nvmlReturn_t rc;
    if (lib->pci.abi == ABI_PLAIN) {
        nvmlPciInfo_v1_t p;
        memset(&p, 0, sizeof p);
        rc = CALL(lib->pci, ((fn_dev_ptr)lib->pci.fn)(dev, &p));
        if (rc == NVML_SUCCESS) snprintf(out, n, "%.*s", (int)sizeof p.busId, p.busId);
    } else {
        nvmlPciInfo_t p;
        memset(&p, 0, sizeof p);
        rc = CALL(lib->pci, ((fn_dev_ptr)lib->pci.fn)(dev, &p));
        if (rc == NVML_SUCCESS) snprintf(out, n, "%.*s", (int)sizeof p.busId, p.busId);
    }
    return rc;
}

static void read_memory(cnvml_lib *lib, nvmlDevice_t dev, struct cnvml_device_sample *out) {
    out->mem_reserved_rc = NVML_ERROR_FUNCTION_NOT_FOUND;
    if (lib->memory_v2.fn) {
        nvmlMemory_v2_t m;
        memset(&m, 0, sizeof m);
        m.version = CNVML_MEMORY_V2_VERSION;
        nvmlReturn_t rc = ((fn_dev_ptr)lib->memory_v2.fn)(dev, &m);
        out->mem_reserved_rc = rc;
        if (rc == NVML_SUCCESS) {
            out->mem_total = m.total; out->mem_used = m.used; out->mem_free = m.free;
            out->mem_reserved = m.reserved;
            out->mem_rc = NVML_SUCCESS;
            return;
        }
        /* A driver lost mid-call must not be asked again through the v1 path. */
        if (rc == NVML_ERROR_GPU_IS_LOST || rc == NVML_ERROR_UNINITIALIZED ||
            rc == NVML_ERROR_DRIVER_NOT_LOADED || rc == NVML_ERROR_LIB_RM_VERSION_MISMATCH) {
            out->mem_rc = rc;
            return;
        }
    }
    nvmlMemory_t m;
    memset(&m, 0, sizeof m);
    out->mem_rc = CALL(lib->memory, ((fn_dev_ptr)lib->memory.fn)(dev, &m));
    out->mem_total = m.total; out->mem_used = m.used; out->mem_free = m.free;
}

nvmlReturn_t cnvml_device_sample(cnvml_lib *lib, unsigned int index, struct cnvml_device_sample *out) {
    memset(out, 0, sizeof *out);
    nvmlDevice_t dev;
    out->handle_rc = handle_at(lib, index, &dev);
    if (out->handle_rc != NVML_SUCCESS) return out->handle_rc;

    out->name_rc = CALL(lib->name, ((fn_dev_str)lib->name.fn)(dev, out->name, sizeof out->name));
    terminate(out->name, sizeof out->name);
    out->uuid_rc = CALL(lib->uuid, ((fn_dev_str)lib->uuid.fn)(dev, out->uuid, sizeof out->uuid));
    terminate(out->uuid, sizeof out->uuid);
    out->pci_rc = read_pci(lib, dev, out->pci_bus_id, sizeof out->pci_bus_id);

    nvmlUtilization_t u = { 0, 0 };
    out->util_rc = CALL(lib->util, ((fn_dev_ptr)lib->util.fn)(dev, &u));
    out->util_gpu = u.gpu; out->util_memory = u.memory;

    read_memory(lib, dev, out);

    out->temperature_rc = CALL(lib->temperature,
        ((fn_dev_enum_uint)lib->temperature.fn)(dev, NVML_TEMPERATURE_GPU, &out->temperature_c));
    out->fan_rc = CALL(lib->fan, ((fn_dev_uint)lib->fan.fn)(dev, &out->fan_percent));
    out->power_rc = CALL(lib->power, ((fn_dev_uint)lib->power.fn)(dev, &out->power_mw));
    out->power_limit_rc = CALL(lib->power_limit, ((fn_dev_uint)lib->power_limit.fn)(dev, &out->power_limit_mw));
    out->sm_clock_rc = CALL(lib->clock,
        ((fn_dev_enum_uint)lib->clock.fn)(dev, NVML_CLOCK_SM, &out->sm_clock_mhz));
    out->sm_clock_max_rc = CALL(lib->max_clock,
        ((fn_dev_enum_uint)lib->max_clock.fn)(dev, NVML_CLOCK_SM, &out->sm_clock_max_mhz));
    out->mem_clock_rc = CALL(lib->clock,
        ((fn_dev_enum_uint)lib->clock.fn)(dev, NVML_CLOCK_MEM, &out->mem_clock_mhz));
    out->mem_clock_max_rc = CALL(lib->max_clock,
        ((fn_dev_enum_uint)lib->max_clock.fn)(dev, NVML_CLOCK_MEM, &out->mem_clock_max_mhz));
    out->pstate = NVML_PSTATE_UNKNOWN;
    out->pstate_rc = CALL(lib->pstate, ((fn_dev_int)lib->pstate.fn)(dev, &out->pstate));
    if (out->pstate_rc == NVML_SUCCESS && (out->pstate < 0 || out->pstate > 15))
        out->pstate_rc = NVML_ERROR_NOT_SUPPORTED;   /* NVML_PSTATE_UNKNOWN */
    return NVML_SUCCESS;
}

/* Makes room for `n` entries in both buffers. */
static int reserve(cnvml_lib *lib, unsigned int n, size_t entry) {
    if (n == 0) n = 1;
    if (n > (1u << 20)) return 0;   /* a driver answering nonsense must not exhaust memory */
    if (lib->raw_bytes < (size_t)n * entry) {
        void *raw = realloc(lib->raw, (size_t)n * entry);
        if (!raw) return 0;
        lib->raw = raw;
        lib->raw_bytes = (size_t)n * entry;
    }
    if (lib->procs_cap < n) {
        struct cnvml_process *p = realloc(lib->procs, (size_t)n * sizeof *p);
        if (!p) return 0;
        lib->procs = p;
        lib->procs_cap = n;
    }
    return 1;
}

nvmlReturn_t cnvml_processes(cnvml_lib *lib, unsigned int index, int kind,
                             const struct cnvml_process **out, unsigned int *count) {
    *out = NULL;
    *count = 0;
    struct bound *b = kind == CNVML_PROCESSES_GRAPHICS ? &lib->graphics_procs : &lib->compute_procs;
    if (!b->fn) return NVML_ERROR_FUNCTION_NOT_FOUND;
    nvmlDevice_t dev;
    nvmlReturn_t rc = handle_at(lib, index, &dev);
    if (rc != NVML_SUCCESS) return rc;

    size_t entry = b->abi == ABI_PLAIN ? sizeof(nvmlProcessInfo_v1_t) : sizeof(nvmlProcessInfo_t);
    unsigned int want = lib->procs_cap ? lib->procs_cap : 16;
    /* Processes can start between the sizing answer and the next call: retry a few
     * times, each time with the size NVML asked for plus some slack. */
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!reserve(lib, want, entry)) return NVML_ERROR_MEMORY;
        unsigned int n = want;
        rc = ((fn_dev_procs)b->fn)(dev, &n, lib->raw);
        if (rc == NVML_ERROR_INSUFFICIENT_SIZE) {
            want = (n > want ? n : want * 2) + 8;
            continue;
        }
        if (rc != NVML_SUCCESS) return rc;
        if (n > want) return NVML_ERROR_UNKNOWN;   /* claims more than fits: distrust it */
        for (unsigned int i = 0; i < n; i++) {
            unsigned int pid;
            unsigned long long used;
            if (b->abi == ABI_PLAIN) {
                const nvmlProcessInfo_v1_t *p = (const nvmlProcessInfo_v1_t *)lib->raw + i;
                pid = p->pid; used = p->usedGpuMemory;
            } else {
                const nvmlProcessInfo_t *p = (const nvmlProcessInfo_t *)lib->raw + i;
                pid = p->pid; used = p->usedGpuMemory;
            }
            lib->procs[i].pid = pid;
            lib->procs[i].used_memory_known = used != CNVML_VALUE_NOT_AVAILABLE;
            lib->procs[i].used_memory = used == CNVML_VALUE_NOT_AVAILABLE ? 0 : used;
        }
        *out = lib->procs;
        *count = n;
        return NVML_SUCCESS;
    }
    return NVML_ERROR_INSUFFICIENT_SIZE;
}
