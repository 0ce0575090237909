package dev.gpufleet.demomodel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** Whole words that become tokens, so that sampled text reads as words. */
final class Words {

    static final List<String> TINY = List.of("the", "hello", "world", "is", "a", "of", "and", "to", "in", "gpu",
            "model", "stack", "cluster", "llama", "box", "worker", "server", "token", "you", "it", "I", "Hello");

    static final List<String> DEMO = demo();

    private Words() {
    }

    private static List<String> demo() {
        String text = String.join(" ",
                "the be to of and a in that have I it for not on with he as you do at this but his by from they we",
                "say her she or an will my one all would there their what so up out if about who get which go me",
                "when make can like time no just him know take people into year your good some could them see other",
                "than then now look only come its over think also back after use two how our work first well way even",
                "new want because any these give day most us is are was were has had been being am did does done made",
                "Hello hello hi thanks please yes sure okay great nice world model models token tokens gpu gpus cpu",
                "cluster node nodes worker workers server servers stack llama box fleet memory cache layer layers",
                "weight weights random answer question chat reply request response stream streaming batch queue",
                "fast slow small large tiny big quick bright dark light warm cold blue green red white black river",
                "mountain forest ocean city road bridge garden window door house room table book letter story song",
                "music dream idea plan system data code test build run start stop load ready running pending error",
                "here where why what when while before during around across through under between against without",
                "again always never often sometimes maybe perhaps really very much many more less few every each",
                "together alone little long short high low early late next last same different right left open close",
                "I you we they it he she this that those these something nothing everything someone everyone");
        LinkedHashSet<String> words = new LinkedHashSet<>(TINY);
        for (String w : text.split(" ")) {
            words.add(w);
        }
        return List.copyOf(new ArrayList<>(words));
    }
}
