package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedDevicesTest {
    private static final long GIB = 1L << 30;

    @Test
    void theExampleFromTheSettingsDocumentation() {
        DeviceInventory inventory = SimulatedDevices.parse("nvidia:NVIDIA GeForce RTX 4090:24GiB;"
                + "nvidia:NVIDIA H100 80GB HBM3:80GiB:used=2GiB;ascend:Ascend 910B:64GiB");

        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(List.of(
                new GpuDevice(0, "nvidia", "cuda", "NVIDIA GeForce RTX 4090", "SIM-nvidia-0", 24 * GIB, 0, 0.0),
                new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "SIM-nvidia-1", 80 * GIB, 2 * GIB, 0.0),
                new GpuDevice(2, "ascend", "npu", "Ascend 910B", "SIM-ascend-2", 64 * GIB, 0, 0.0)),
                inventory.gpus());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // setting                                          | index | vendor | type | name            | total       | used       | uuid
            "'amd:Radeon PRO W7900:48GiB'                       | 0 | amd    | rocm | Radeon PRO W7900 | 51539607552 | 0          | SIM-amd-0",
            "'apple:Apple M3 Max:128GiB:used=512MiB'            | 0 | apple  | mps  | Apple M3 Max     | 137438953472 | 536870912 | SIM-apple-0",
            "'  NVIDIA : Tesla T4 : 16GB : uuid=GPU-1234 '      | 0 | nvidia | cuda | Tesla T4         | 16000000000 | 0          | GPU-1234",
            "'nvidia:A:1GiB:uuid=GPU-x:used=1GiB'               | 0 | nvidia | cuda | A                | 1073741824  | 1073741824 | GPU-x",
            "';;nvidia:L4:24GiB;'                               | 0 | nvidia | cuda | L4               | 25769803776 | 0          | SIM-nvidia-0",
            "'ascend:Ascend 910B:64GiB:used=0.5GiB'             | 0 | ascend | npu  | Ascend 910B      | 68719476736 | 536870912  | SIM-ascend-0",
    })
    void oneEntry(String setting, int index, String vendor, String type, String name, long total, long used,
                  String uuid) {
        DeviceInventory inventory = SimulatedDevices.parse(setting);
        assertEquals(Optional.empty(), inventory.problem());
        assertEquals(List.of(new GpuDevice(index, vendor, type, name, uuid, total, used, 0.0)), inventory.gpus());
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {"NULL", "''", "'   '", "';'"})
    void nothingSetMeansNoGpus(String setting) {
        assertEquals(DeviceInventory.of(List.of()), SimulatedDevices.parse(setting));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'nvidia:L4'                                  | entry 1 ('nvidia:L4'): expected vendor:name:memory",
            "'nvidia:L4:24GiB;intel:Arc A770:16GiB'       | entry 2 ('intel:Arc A770:16GiB'): vendor 'intel' is not one of [amd, apple, ascend, nvidia]",
            "'nvidia::24GiB'                              | entry 1 ('nvidia::24GiB'): name is empty",
            "'nvidia:L4:24 gigs'                          | entry 1 ('nvidia:L4:24 gigs'): '24 gigs' is not a size",
            "'nvidia:L4:0GiB'                             | entry 1 ('nvidia:L4:0GiB'): memory must be more than 0",
            "'nvidia:L4:24GiB:used=25GiB'                 | entry 1 ('nvidia:L4:24GiB:used=25GiB'): used memory (26843545600 B) is more than the total (25769803776 B)",
            "'nvidia:L4:24GiB:used='                      | entry 1 ('nvidia:L4:24GiB:used='): '' is not a size",
            "'nvidia:L4:24GiB:free=2GiB'                  | entry 1 ('nvidia:L4:24GiB:free=2GiB'): option 'free=2GiB' is not used=SIZE or uuid=ID",
            "'nvidia:L4:24GiB:2GiB'                       | option '2GiB' is not used=SIZE or uuid=ID",
            "'nvidia:L4:24GiB;;nvidia:L4:-1GiB'           | entry 2 ('nvidia:L4:-1GiB'): '-1GiB' is not a size",
    })
    void aBadEntryIsNamedWithTheReasonAndNoDevicesAreReported(String setting, String expected) {
        DeviceInventory inventory = SimulatedDevices.parse(setting);

        assertEquals(List.of(), inventory.gpus());
        String problem = inventory.problem().orElseThrow();
        assertTrue(problem.startsWith("gpufleet.worker.simulated-devices "), problem);
        assertTrue(problem.contains(expected), problem);
    }

    @ParameterizedTest
    @CsvSource({
            "24GiB, 25769803776",
            "512MiB, 536870912",
            "1TiB, 1099511627776",
            "64KiB, 65536",
            "80GB, 80000000000",
            "1.5GiB, 1610612736",
            "1024, 1024",
            "7B, 7",
            "2 gib, 2147483648",
    })
    void sizes(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
    }
}
