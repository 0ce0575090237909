package dev.gpufleet.worker.host;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlatformTest {

    @ParameterizedTest
    @CsvSource({
            "Linux, linux",
            "Mac OS X, darwin",
            "Darwin, darwin",
            "Windows 11, windows",
            "Windows Server 2022, windows",
            "FreeBSD, freebsd",
            "SunOS 5, sunos5",
            "'', unknown",
    })
    void os(String osName, String expected) {
        assertEquals(expected, Platform.os(osName));
    }

    @ParameterizedTest
    @CsvSource({
            "amd64, amd64",
            "x86_64, amd64",
            "aarch64, arm64",
            "arm64, arm64",
            "ppc64le, ppc64le",
            "RISCV64, riscv64",
            "'', unknown",
    })
    void arch(String osArch, String expected) {
        assertEquals(expected, Platform.arch(osArch));
    }
}
