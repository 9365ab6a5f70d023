import io.piddm.inference.*;
import io.piddm.physics.grid.*;
import io.piddm.physics.pde.*;
import io.piddm.physics.metrics.*;
import java.nio.file.*;
import java.util.*;

/**
 * PIDDM-ref's solution weight on a validation noise seed (99; the benchmark scores seed 7): for
 * each "lambda_pde,lambda_sol" pair, k Adam steps on the noise of n fields through the project's
 * Reconstruction, then the median u-to-solver distance (SolutionConsistency) and the PDE error.
 * -Dopt=LBFGS runs L-BFGS instead of Adam (the default).
 */
public class TuneRef {
  public static void main(String[] a) throws Exception {
    Path dir = Path.of(a[0]);
    Pde pde = Pde.valueOf(a[1].toUpperCase());
    int n = Integer.parseInt(a[2]);
    int k = Integer.parseInt(a[3]);
    double lr = Double.parseDouble(a[4]);
    try (StudentModel m = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1)) {
      int s = m.gridSize();
      Grid grid = new Grid(s);
      for (int i = 5; i < a.length; i++) {
        String[] w = a[i].split(",");
        double lp = Double.parseDouble(w[0]), ls = Double.parseDouble(w[1]);
        float[] eps = m.noise(99, n);
        float[] zeros = new float[m.dim()];
        long t0 = System.nanoTime();
        Reconstruction.optimise(m, eps, zeros, zeros, n,
            new Reconstruction.Settings(k, lr, 0, lp, ls, 1, 0, Reconstruction.Optimizer.valueOf(System.getProperty("opt","ADAM"))), null, () -> false);
        double sec = (System.nanoTime() - t0) / 1e9;
        float[] f = m.decode(eps, n);
        List<List<Field>> samples = new ArrayList<>();
        double pdeSum = 0;
        int plane = s * s;
        for (int j = 0; j < n; j++) {
          List<Field> ch = new ArrayList<>();
          for (int c = 0; c < 2; c++) {
            double[] v = new double[plane];
            for (int p = 0; p < plane; p++) v[p] = f[(j * 2 + c) * plane + p];
            ch.add(new Field(s, s, v));
          }
          samples.add(ch);
          pdeSum += m.pdeError(f, j).absolute();
        }
        SolutionConsistency sc = SolutionConsistency.of(pde, grid, samples);
        if (System.getProperty("json") != null) {
          Path out = Path.of(System.getProperty("json"), a[1] + "-k" + k + "-pde" + lp + "-sol" + ls + ".json");
          Files.createDirectories(out.getParent());
          Files.writeString(out, String.format(Locale.ROOT,
              "{\"pde\": \"%s\", \"fields\": %d, \"noiseSeed\": 99, \"steps\": %d, \"learningRate\": %s,"
                  + " \"lambdaPde\": %s, \"lambdaSolution\": %s, \"typicalityWeight\": 1,"
                  + " \"uVsSolverMedian\": %s, \"uVsSolverPerField\": %s, \"pdeErrorMean\": %s, \"seconds\": %s}%n",
              a[1], n, k, lr, lp, ls, sc.median(), Arrays.toString(sc.perSample()), pdeSum / n, sec));
        }
        System.out.printf(Locale.ROOT, "k=%d lr=%.3f lambda_pde=%g lambda_sol=%g  consistency median %.4f  pde %.4g  %.1fs%n",
            k, lr, lp, ls, sc.median(), pdeSum / n, sec);
      }
    }
  }
}
