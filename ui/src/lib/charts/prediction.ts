// The figures a scored prediction was judged on, as the lab sends them
// (`PredictionResult.figures`): the chart only draws them.
import type { PredictionFigures } from '../../bindings/PredictionFigures';
import type { PredictionResult } from '../../types';

export type { PredictionFigures };

/** The figures of a result, or null when there is nothing to chart. */
export function predictionFigures(r: PredictionResult): PredictionFigures | null {
  const f = r.figures;
  if (f.kind === 'choice' && f.values.length === 0) return null;
  if (f.kind === 'number' && !(Number.isFinite(f.measured) && Number.isFinite(f.guess))) return null;
  return f;
}

/** The y-axis title of a choice chart: the lab's words for the metric. */
export function metricTitle(metric: string): string {
  return metric;
}
