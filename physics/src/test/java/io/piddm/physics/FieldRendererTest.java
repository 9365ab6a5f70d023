package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.physics.grid.Field;
import io.piddm.physics.render.FieldRenderer;
import io.piddm.physics.render.Viridis;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FieldRendererTest {

  /** A ramp in x: column j has value j. */
  private static Field ramp(int size) {
    Field f = Field.zeros(size, size);
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) {
        f.set(i, j, j);
      }
    }
    return f;
  }

  @Test
  void theLowestAndHighestValuesGetTheEndsOfTheColourMap(@TempDir Path dir) throws Exception {
    Field field = ramp(16);
    Path png = dir.resolve("ramp.png");
    FieldRenderer.writePng(FieldRenderer.heatmap(field, "ramp"), png);
    BufferedImage image = ImageIO.read(png.toFile());
    int scale = (int) Math.ceil(160.0 / 16);
    int y = 20 + 8 * scale; // middle row, below the title
    assertThat(image.getRGB(6 + scale / 2, y) & 0xffffff).isEqualTo(Viridis.rgb(0));
    assertThat(image.getRGB(6 + 15 * scale + scale / 2, y) & 0xffffff).isEqualTo(Viridis.rgb(1));
  }

  @Test
  void rowZeroIsDrawnAtTheBottom() {
    Field f = Field.zeros(8, 8);
    f.set(0, 0, 1); // bottom-left corner
    BufferedImage image = FieldRenderer.heatmap(f, "");
    int scale = (int) Math.ceil(160.0 / 8);
    int bottom = 20 + 8 * scale - 1;
    assertThat(image.getRGB(6, bottom) & 0xffffff).isEqualTo(Viridis.rgb(1));
    assertThat(image.getRGB(6, 20) & 0xffffff).isEqualTo(Viridis.rgb(0));
  }

  @Test
  void aSheetPlacesPanelsInRowsAndColumns() {
    var panels =
        List.of(
            new FieldRenderer.Panel(ramp(16), "a"),
            new FieldRenderer.Panel(ramp(16), "b"),
            new FieldRenderer.Panel(ramp(16), "c"));
    BufferedImage one = FieldRenderer.heatmap(ramp(16), "a");
    BufferedImage sheet = FieldRenderer.sheet(panels, 2);
    assertThat(sheet.getWidth()).isEqualTo(2 * one.getWidth());
    assertThat(sheet.getHeight()).isEqualTo(2 * one.getHeight());
    assertThatThrownBy(() -> FieldRenderer.sheet(List.of(), 2)).hasMessageContaining("panels");
  }
}
