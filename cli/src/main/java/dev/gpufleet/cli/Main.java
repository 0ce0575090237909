package dev.gpufleet.cli;

/** {@code gpufleet} (through the launcher script, which runs it for every command but {@code up}). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Gpufleet.run(Context.system(), args));
    }
}
