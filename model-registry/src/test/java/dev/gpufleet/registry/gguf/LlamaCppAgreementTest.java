package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysis agrees with what llama.cpp itself reported when it loaded the same file (a recorded log). */
class LlamaCppAgreementTest {
    private static final Pattern LINE = Pattern.compile("print_info: (\\S[^=]*?)\\s*= (.*)");
    private static final Pattern BUFFER = Pattern.compile(".*model buffer size =\\s*([0-9.]+) MiB");

    @Test
    void demoQ8_0MatchesLlamaCppsLoadLog(@TempDir Path dir) throws Exception {
        Map<String, String> info = new HashMap<>();
        String modelBufferMiB = null;
        try (InputStream in = getClass().getResourceAsStream("/gguf/llamacpp-demo-q8_0.log")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                Matcher m = LINE.matcher(line.trim());
                if (m.matches()) {
                    info.put(m.group(1), m.group(2).trim());
                }
                Matcher b = BUFFER.matcher(line);
                if (b.matches()) {
                    modelBufferMiB = b.group(1);
                }
            }
        }
        assertNotNull(modelBufferMiB);
        Path file = dir.resolve("demo.gguf");
        DemoModel.write(Preset.DEMO, TensorType.Q8_0, 42, file);

        ModelArchitecture a = GgufAnalyzer.analyze(file);

        assertEquals(info.get("arch"), a.architecture());
        assertEquals(info.get("file type"), a.quantization());
        assertEquals(info.get("n_ctx_train"), String.valueOf(a.contextLength()));
        assertEquals(info.get("n_embd"), String.valueOf(a.embeddingLength()));
        assertEquals(info.get("n_layer"), String.valueOf(a.layers()));
        assertEquals(info.get("n_head"), String.valueOf(a.headCount()));
        assertEquals(info.get("n_head_kv"), String.valueOf(a.headCountKv()));
        assertEquals(info.get("n_embd_head_k"), String.valueOf(a.headDim()));
        assertEquals(info.get("n_ff"), String.valueOf(a.feedForwardLength()));
        assertEquals(info.get("n_vocab"), String.valueOf(a.vocabSize()));
        assertEquals(info.get("model params"), String.format("%.2f M", a.parameterCount() / 1e6));
        assertEquals(modelBufferMiB, String.format("%.2f", a.weightBytes() / 1048576.0));
        // llama.cpp's "file size" is the sum of the tensors' bytes, not the size on disk
        assertEquals(info.get("file size").replaceAll(" \\(.*", ""),
                String.format("%.2f MiB", a.weightBytes() / 1048576.0));
        assertEquals(28436544, a.fileBytes());
    }
}
