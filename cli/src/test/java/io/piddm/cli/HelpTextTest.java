package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's help prints its description lines as written, not re-wrapped mid-sentence. */
class HelpTextTest {

  @Test
  void descriptionsKeepTheirLineBreaks() {
    Deque<CommandLine> commands = new ArrayDeque<>();
    commands.push(Piddm.commandLine());
    int checked = 0;
    while (!commands.isEmpty()) {
      CommandLine command = commands.pop();
      command.getSubcommands().values().forEach(commands::push);
      String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
      for (String text : command.getCommandSpec().usageMessage().description()) {
        for (String line : text.split("%n")) {
          assertThat(usage).as(command.getCommandName()).contains(line.strip());
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(20);
  }
}
