package dev.gpufleet.gateway.security;

import dev.gpufleet.localstack.testing.TestClusterToken;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Given a certificate (Quarkus' TLS registry, {@code quarkus.tls.key-store.*}), the gateway serves HTTPS with it, and
 * with {@code quarkus.http.insecure-requests=disabled} no plain HTTP. A client that trusts exactly that certificate
 * talks to it; authentication is the same as over HTTP.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
@TestProfile(SelfSignedCertificate.class)
class HttpsTest {

    @Test
    void theGatewayServesHttpsWithTheGivenCertificate() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(SelfSignedCertificate.KEY_STORE)) {
            store.load(in, SelfSignedCertificate.PASSWORD.toCharArray());
        }
        X509Certificate certificate = (X509Certificate) store.getCertificate("gateway");
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("gateway", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(tls).build();

        HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + port + "/q/health/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("CN=localhost", health.sslSession().orElseThrow().getPeerPrincipal().getName());

        HttpResponse<String> models = client.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + port + "/v1/models"))
                .header("Authorization", "Bearer " + TestClusterToken.ADMIN_API_KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, models.statusCode(), models.body());
        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + port + "/v1/models"))
                .header("Authorization", "Bearer " + TestClusterToken.TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, refused.statusCode(), refused.body());

        // no plain HTTP on the main port
        int httpPort = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        try {
            HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + httpPort + "/q/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(plain.statusCode() >= 400, "plain HTTP answered " + plain.statusCode());
        } catch (java.io.IOException refusedConnection) {
            // nothing listens for plain HTTP: as wanted
        }
    }
}
