package dev.gpufleet.localstack.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority and a server certificate it signed for {@code localhost} and {@code 127.0.0.1},
 * made with the JDK's keytool, in the forms servers and clients read: the server's key and chain as PKCS#12 (Kafka)
 * and as PEM files (PostgreSQL), the authority's certificate as PEM (every client's trust).
 */
public record TestCertificates(Path caPem, Path serverP12, String password, Path serverCertPem, Path serverKeyPem) {

    public static TestCertificates create(Path dir) {
        try {
            Files.createDirectories(dir);
            String password = "test-" + Long.toHexString(System.nanoTime());
            Path ca = dir.resolve("ca.p12");
            Path server = dir.resolve("server.p12");
            Path csr = dir.resolve("server.csr");
            Path caPem = dir.resolve("ca.pem");
            Path serverPem = dir.resolve("server.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname",
                    "CN=gpufleet test CA", "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(),
                    "-storetype", "PKCS12", "-storepass", password);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
                    "-file", caPem.toString());
            keytool("-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                    "-validity", "2", "-keystore", server.toString(), "-storetype", "PKCS12", "-storepass", password);
            keytool("-certreq", "-alias", "server", "-keystore", server.toString(), "-storepass", password,
                    "-file", csr.toString());
            keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
                    "-infile", csr.toString(), "-outfile", serverPem.toString(), "-validity", "2",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-ext", "KU=digitalSignature,keyEncipherment",
                    "-ext", "EKU=serverAuth");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore",
                    server.toString(), "-storepass", password);
            keytool("-importcert", "-alias", "server", "-file", serverPem.toString(), "-keystore", server.toString(),
                    "-storepass", password);
            Path keyPem = dir.resolve("server.key");
            Files.writeString(keyPem, pem("PRIVATE KEY", privateKey(server, password).getEncoded()));
            // PostgreSQL refuses a key file others can read
            Files.setPosixFilePermissions(keyPem, PosixFilePermissions.fromString("rw-------"));
            return new TestCertificates(caPem, server, password, serverPem, keyPem);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make test certificates in " + dir + ": " + e, e);
        }
    }

    private static Key privateKey(Path p12, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, password.toCharArray());
        }
        return store.getKey("server", password.toCharArray());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted in keytool " + args[0], e);
        }
    }
}
