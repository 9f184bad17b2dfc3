import { Argument, Command, type Option } from 'commander';
import { completionScript, SHELLS, type CompletionNode, type Shell } from '../completion/scripts.js';
import { listBuiltinScenarios } from '../scenario/load.js';
import { examples } from './help.js';

/** Arguments that take a built-in scenario's name (a lab is named after its scenario). */
const SCENARIO_ARGUMENTS = new Set(['scenario', 'lab']);

/** Commander's own metadata as the completion tree, so completion never lists a command or option lab lacks. */
function completionNode(command: Command): CompletionNode {
  return {
    name: command.name(),
    description: command.description(),
    options: [
      ...command.options.filter((o) => !o.hidden).map((o) => ({ flags: flagsOf(o), description: o.description })),
      { flags: ['--help'], description: 'show help' },
    ],
    values: command.registeredArguments.flatMap(valuesOf),
    subcommands: command.commands.map(completionNode),
  };
}

const flagsOf = (option: Option) => [option.long, option.short].filter((f): f is string => f !== undefined);

/** What an argument takes: its choices, or the built-in scenarios' names for a scenario or lab. */
const valuesOf = (argument: Argument) =>
  argument.argChoices ?? (SCENARIO_ARGUMENTS.has(argument.name()) ? listBuiltinScenarios() : []);

export const completionCommand = new Command('completion')
  .description(`print a shell completion script: ${SHELLS.join(' | ')}`)
  .addArgument(new Argument('<shell>').choices(SHELLS))
  .addHelpText('after', examples(
    ['source <(lab completion bash)', 'bash, this shell; add it to ~/.bashrc to keep it'],
    ['source <(lab completion zsh)', 'zsh (after compinit), e.g. in ~/.zshrc'],
    ['lab completion fish > ~/.config/fish/completions/lab.fish', 'fish'],
  ))
  .action((shell: Shell, _raw, command: Command) => {
    process.stdout.write(completionScript(shell, completionNode(command.parent!)));
  });
