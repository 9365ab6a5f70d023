package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.Expr;
import io.piddm.physics.residual.ExprInterpreter;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one fold over {@link Expr}: windows moved by shifts, shared sub-expressions, reach. */
class ExprInterpreterTest {

  /** Records every channel read; values are the read's top-left node, as text. */
  private static final class Reads implements ExprInterpreter.Backend<String> {
    final List<String> channelReads = new ArrayList<>();

    @Override
    public String channel(int index, int row0, int col0, int rows, int cols) {
      String read = "c" + index + "@" + row0 + "," + col0 + "[" + rows + "x" + cols + "]";
      channelReads.add(read);
      return read;
    }

    @Override
    public String constant(double value) {
      return Double.toString(value);
    }

    @Override
    public String apply(ExprInterpreter.Op op, String left, String right) {
      String symbol =
          switch (op) {
            case ADD -> "+";
            case SUBTRACT -> "-";
            case MULTIPLY -> "*";
            case DIVIDE -> "/";
          };
      return "(" + left + symbol + right + ")";
    }
  }

  @Test
  void shiftsMoveTheWindowAndASharedReadIsEvaluatedOnce() {
    Expr u = Expr.channel(1);
    Expr east = u.shift(0, 1);
    Expr expr = east.times(east).minus(u.shift(-1, 0)).dividedBy(Expr.constant(2));
    Reads backend = new Reads();
    String value = ExprInterpreter.evaluate(expr, backend, 1, 1, 3, 4);
    assertThat(value).isEqualTo("(((c1@1,2[3x4]*c1@1,2[3x4])-c1@0,1[3x4])/2.0)");
    assertThat(backend.channelReads).containsExactly("c1@1,2[3x4]", "c1@0,1[3x4]");
  }

  @Test
  void reachIsTheFarthestReadWhateverTheShiftsAddUpTo() {
    Expr a = Expr.channel(0);
    assertThat(a.reach()).isZero();
    assertThat(a.shift(1, 0).shift(-1, 0).reach()).isZero();
    assertThat(a.shift(1, 0).shift(0, 1).reach()).isEqualTo(1);
    assertThat(a.shift(2, -1).plus(a.shift(0, -3)).reach()).isEqualTo(3);
    assertThat(Expr.constant(4).shift(5, 5).reach()).isZero();
  }

  @Test
  void everySpecsResidualReadsWithinItsCropOrWrapMargin() {
    Grid grid = new Grid(16);
    for (ResidualSpec spec : ResidualSpecs.all()) {
      int reach = spec.residual(grid).reach();
      assertThat(reach)
          .as(spec.id())
          .isPositive()
          .isLessThanOrEqualTo(spec.periodicColumns() ? spec.wrapMargin() : spec.crop());
    }
  }

  @Test
  void aConstantSourceCoversEveryEvaluatedNode() {
    ResidualSpec burgers = ResidualSpecs.byId("burgers/central");
    Grid grid = new Grid(8);
    Random random = new Random(1);
    double[] v = new double[64];
    for (int k = 0; k < v.length; k++) {
      v[k] = random.nextGaussian();
    }
    Field source = ArrayEvaluator.source(burgers, grid, List.of(new Field(8, 8, v)));
    assertThat(source.values())
        .hasSize(burgers.evaluatedRows(grid) * burgers.evaluatedColumns(grid));
    double first = source.values()[0];
    for (double s : source.values()) {
      assertThat(s).isCloseTo(first, within(0.0));
    }
  }
}
