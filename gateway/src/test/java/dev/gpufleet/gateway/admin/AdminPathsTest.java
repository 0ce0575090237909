package dev.gpufleet.gateway.admin;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdminPathsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/api/v1/models, REGISTRY",
            "/api/v1/models/m-1, REGISTRY",
            "/api/v1/models/m-1/analyze, REGISTRY",
            "/api/v1/model-evaluations, REGISTRY",
            "/api/v1/instances, SCHEDULER",
            "/api/v1/instances/i-1, SCHEDULER",
            "/api/v1/workers, SCHEDULER",
            "/api/v1/workers/w-1/cordon, SCHEDULER",
            "/api/v1/workers/w-1/uncordon, SCHEDULER",
            "/api/v1/workers/w-1/drain, SCHEDULER",
            "/api/v1/placement-evaluations, SCHEDULER",
            "/api/v1/model-files, SCHEDULER",
            "/api/v1/model-files/w-1:00000000000000a1, SCHEDULER",
            "/api/v1/model-filesx, UNKNOWN",
            "/api/v1/scheduler/leader, SCHEDULER",
            "/api/v1/gpu-devices, GPU",
            "/api/v1/gpu-devices/w-1:0, GPU",
            "/api/v1/usage, LOCAL",
            "/api/v1/users, LOCAL",
            "/api/v1/users/u-1, LOCAL",
            "/api/v1/api-keys/k-1, LOCAL",
            "/api/v1/me, LOCAL",
            "/api/v1/mex, UNKNOWN",
            "/api/v1/instances/i-1/logs, LOCAL",
            "/api/v1/instances/i-1/logs/follow, LOCAL",
            "/api/v1/modelsx, UNKNOWN",
            "/api/v1/usagex, UNKNOWN",
            "/api/v1, UNKNOWN",
            "/api/v1/, UNKNOWN",
            "/api/v1/secrets, UNKNOWN",
    })
    void eachPathHasItsOwner(String path, String expected) {
        AdminPaths.Target target = AdminPaths.resolve(path);
        String actual = target instanceof AdminPaths.Forward f ? f.service().name()
                : target instanceof AdminPaths.GpuDevices ? "GPU"
                : target instanceof AdminPaths.Local ? "LOCAL" : "UNKNOWN";
        assertEquals(expected, actual);
    }

    @ParameterizedTest
    @CsvSource({"/api/v1/gpu-devices, ", "/api/v1/gpu-devices/, ", "/api/v1/gpu-devices/w-1:3, w-1:3"})
    void aGpuDeviceIdIsTheLastSegment(String path, String id) {
        assertEquals(new AdminPaths.GpuDevices(id), AdminPaths.resolve(path));
    }
}
