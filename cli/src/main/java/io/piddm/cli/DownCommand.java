package io.piddm.cli;

import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshState;
import io.piddm.cli.mesh.ServiceProcess;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Stops the services that {@code piddm up} started. */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = "Stop the services that 'piddm up' started; no process is left behind.")
final class DownCommand implements Callable<Integer> {

  @Override
  public Integer call() throws Exception {
    MeshState state = new MeshState(Piddm.home());
    List<ServiceProcess> running = state.liveProcesses();
    if (running.isEmpty()) {
      System.out.println("Nothing to stop: no service started by 'piddm up' is running.");
      state.clear();
      return 0;
    }
    Mesh.of(running).close();
    int left = 0;
    for (ServiceProcess process : running) {
      if (process.isAlive()) {
        System.err.println(
            process.service().module() + " (pid " + process.pid() + ") is still running");
        left++;
      } else {
        System.out.println(
            "stopped " + process.service().module() + " (pid " + process.pid() + ")");
      }
    }
    if (left > 0) {
      return 1;
    }
    state.clear();
    return 0;
  }
}
