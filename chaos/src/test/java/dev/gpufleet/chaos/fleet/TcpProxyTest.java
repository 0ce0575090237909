package dev.gpufleet.chaos.fleet;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A partitioned link passes nothing and refuses nothing; healed, the same connection carries on. */
class TcpProxyTest {

    @Test
    void aPartitionHoldsEveryByteUntilItHeals() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = echo.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    int b;
                    while ((b = in.read()) >= 0) {
                        out.write(b);
                        out.flush();
                    }
                } catch (Exception ignored) {
                    // closed
                }
            });
            server.setDaemon(true);
            server.start();
            try (TcpProxy proxy = TcpProxy.start("test", "127.0.0.1", echo.getLocalPort());
                 Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
                client.setSoTimeout(1_000);
                client.getOutputStream().write('a');
                assertEquals('a', client.getInputStream().read());

                proxy.partition();
                client.getOutputStream().write('b');
                assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read(),
                        "nothing passes a partitioned link");

                proxy.heal();
                client.setSoTimeout(5_000);
                assertEquals('b', client.getInputStream().read(),
                        "the byte sent during the partition arrives after it");
            }
        }
    }

    @Test
    void aConnectionOpenedDuringAPartitionIsTakenButReachesNothingUntilItHeals() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             TcpProxy proxy = TcpProxy.start("test", "127.0.0.1", target.getLocalPort())) {
            proxy.partition();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
                target.setSoTimeout(500);
                assertThrows(SocketTimeoutException.class, target::accept, "the server sees nothing yet");
                proxy.heal();
                target.setSoTimeout(5_000);
                try (Socket arrived = target.accept()) {
                    assertEquals(false, arrived.isClosed());
                }
            }
        }
    }
}
