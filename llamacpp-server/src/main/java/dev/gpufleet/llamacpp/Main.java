package dev.gpufleet.llamacpp;

import dev.gpufleet.llamacpp.engine.Engine;
import dev.gpufleet.llamacpp.engine.EngineException;
import dev.gpufleet.llamacpp.engine.NativeLibrary;
import dev.gpufleet.llamacpp.gguf.GgufInspector;
import dev.gpufleet.llamacpp.gguf.GgufSummary;
import dev.gpufleet.llamacpp.gguf.ModelFileException;
import dev.gpufleet.llamacpp.http.OpenAiServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * {@code java -jar llamacpp-server.jar -m model.gguf [options]}. Exit codes: 2 bad arguments, 1 model or port
 * unusable, 0 after SIGTERM. The process always ends through {@link System#exit}: java-llama.cpp leaves a
 * non-daemon native thread behind that would keep the JVM alive.
 */
public final class Main {

    /** How long SIGTERM waits for requests in progress before the process exits. */
    static final int STOP_GRACE_SECONDS = 10;

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Returns an exit code on failure or help; once serving it only ends through a signal. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        ServerOptions options;
        try {
            Optional<ServerOptions> parsed = ServerOptions.parse(System.getenv(), args);
            if (parsed.isEmpty()) {
                out.println(ServerOptions.USAGE);
                return 0;
            }
            options = parsed.get();
        } catch (ServerOptions.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(ServerOptions.USAGE);
            return 2;
        }

        String model = options.model().toString();
        GgufSummary summary;
        try {
            summary = GgufInspector.inspect(options.model());
        } catch (ModelFileException e) {
            err.println("error: cannot load model '" + model + "': " + e.getMessage());
            return 1;
        }
        try {
            NativeLibrary.prepare();
        } catch (IOException e) {
            err.println("error: cannot load model '" + model + "': " + e.getMessage());
            return 1;
        }

        // the JDK server otherwise leaves Nagle's algorithm on, which delays small stream chunks
        System.setProperty("sun.net.httpserver.nodelay", "true");
        OpenAiServer server;
        try {
            server = OpenAiServer.bind(options);
        } catch (BindException e) {
            err.println("error: cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
            return 1;
        }
        onTermination(() -> {
            server.stop(STOP_GRACE_SECONDS);
            out.println("llamacpp-server stopped");
            out.flush();
            System.exit(0);
        });
        server.start();
        out.printf("llamacpp-server loading %s (%s, %s, %d bytes) as '%s'%n", model, summary.architecture(),
                summary.name().isEmpty() ? "unnamed" : summary.name(), summary.fileSize(), options.modelId());

        Engine engine;
        try {
            engine = Engine.load(options, summary);
        } catch (EngineException e) {
            err.println("error: cannot load model '" + model + "': " + e.getMessage());
            server.stop(0);
            return 1;
        }
        server.ready(engine);
        out.println("llamacpp-server listening on http://" + options.host() + ":" + server.port());
        out.flush();
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static void onTermination(Runnable stop) {
        Thread[] stopping = new Thread[1];
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                synchronized (stopping) {
                    if (stopping[0] == null) {
                        stopping[0] = new Thread(stop, "stop-on-SIG" + name);
                        stopping[0].start();
                    }
                }
            });
        }
    }
}
