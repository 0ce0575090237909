package dev.gpufleet.gateway.security;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tests only: a gateway given a certificate through Quarkus' TLS registry. The certificate is self-signed, made for
 * localhost with the JDK's keytool when the profile starts, into a PKCS#12 file under target/.
 */
public class SelfSignedCertificate implements QuarkusTestProfile {
    static final String PASSWORD = "test-keystore-password";
    static final Path KEY_STORE = Path.of("target", "tls", "gateway.p12").toAbsolutePath();

    @Override
    public Map<String, String> getConfigOverrides() {
        generate();
        return Map.of(
                "quarkus.tls.key-store.p12.path", KEY_STORE.toString(),
                "quarkus.tls.key-store.p12.password", PASSWORD,
                "quarkus.http.test-ssl-port", "0",
                "quarkus.http.insecure-requests", "disabled");
    }

    private static synchronized void generate() {
        try {
            Files.createDirectories(KEY_STORE.getParent());
            Files.deleteIfExists(KEY_STORE);
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "gateway",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=localhost",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
                    KEY_STORE.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD))
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make a certificate: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("keytool could not make a certificate", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
