package dev.gpufleet.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(mixinStandardHelpOptions = true, name = "completion", description = {"Prints a completion script for bash and zsh.",
        "bash: source <(gpufleet completion)     (or save it under /etc/bash_completion.d/)",
        "zsh:  autoload -U +X compinit && compinit; autoload -U +X bashcompinit && bashcompinit; source <(gpufleet completion)",
        "It completes the command 'gpufleet': put the launcher on the PATH, e.g. ln -s $PWD/gpufleet ~/.local/bin/."})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private final Context ctx;

    CompletionCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        ctx.out().print(AutoComplete.bash("gpufleet", spec.root().commandLine()));
        return ExitCodes.OK;
    }
}
