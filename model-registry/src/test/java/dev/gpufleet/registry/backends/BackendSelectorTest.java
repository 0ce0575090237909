package dev.gpufleet.registry.backends;

import dev.gpufleet.events.ModelSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackendSelectorTest {

    @ParameterizedTest(name = "{0} {1}/{2} categories={3} -> {4}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            huggingface | Qwen/Qwen2.5-0.5B-Instruct-GGUF        | *Q4_K_M*.gguf                 | -              | llama-box
            huggingface | Qwen/Qwen2.5-0.5B-Instruct-GGUF        | qwen2.5-0.5b-instruct-q4_k_m.GGUF | -          | llama-box
            huggingface | Qwen/Qwen2.5-7B-Instruct               | -                             | -              | vllm
            huggingface | Qwen/Qwen2.5-7B-Instruct               | *.safetensors                 | -              | vllm
            huggingface | Systran/faster-whisper-large-v3        | -                             | -              | vox-box
            huggingface | Systran/faster-distil-whisper-large-v3 | -                             | -              | vox-box
            huggingface | gpustack/CosyVoice2-0.5B               | -                             | -              | vox-box
            huggingface | gpustack/CosyVoice-300M-SFT            | -                             | -              | vox-box
            huggingface | nari-labs/Dia-1.6B                     | -                             | -              | vox-box
            huggingface | someone/whisper-finetune               | -                             | -              | vllm
            huggingface | openai/whisper-large-v3                | -                             | -              | vllm
            huggingface | someone/faster-whisper-large-v3-turbo  | -                             | -              | vox-box
            huggingface | gpustack/CosyVoice-300M-Instruct       | -                             | -              | vox-box
            modelscope  | iic/CosyVoice-300M-25Hz                | -                             | -              | vox-box
            modelscope  | gpustack/faster-distil-whisper-medium.en | -                           | -              | vox-box
            huggingface | nari-labs/Dia-1.6B                     | dia.gguf                      | -              | llama-box
            huggingface | someone/my-tts                         | -                             | text-to-speech | vox-box
            huggingface | someone/my-asr                         | -                             | speech-to-text | vox-box
            huggingface | someone/my-asr-gguf                    | model.gguf                    | speech-to-text | llama-box
            modelscope  | qwen/Qwen2.5-7B-Instruct-GGUF          | qwen2.5-7b-instruct-q4_0.gguf | -              | llama-box
            modelscope  | gpustack/faster-whisper-tiny           | -                             | -              | vox-box
            modelscope  | qwen/Qwen2.5-7B-Instruct               | -                             | llm            | vllm
            local_path  | /models/tiny.gguf                      | -                             | -              | llama-box
            local_path  | /models/faster-whisper-small/          | -                             | -              | vox-box
            local_path  | C:\\models\\Dia-1.6B                   | -                             | -              | vox-box
            local_path  | /models/Qwen2.5-7B-Instruct            | -                             | -              | vllm
            """)
    void picksTheBackendByFileAndModelFamily(String type, String id, String file, String category, String expected) {
        ModelSource source = switch (type) {
            case ModelSource.HUGGINGFACE -> new ModelSource(type, id, file, null, null, null, null);
            case ModelSource.MODELSCOPE -> new ModelSource(type, null, null, null, id, file, null);
            default -> ModelSource.localPath(id);
        };
        List<String> categories = category == null ? List.of() : List.of(category);
        assertEquals(expected, BackendSelector.select(source, categories));
    }
}
