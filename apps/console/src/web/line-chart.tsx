import { useEffect, useRef } from 'react';
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

export interface Series {
  label: string;
  points: { t: number; v: number }[];
}

const COLORS = ['#2f6fd6', '#e67e22', '#27ae60', '#8e44ad', '#c0392b', '#16a085', '#d35400', '#2c3e50'];
const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A time-series line chart (chart.js); x is wall-clock time. */
export function LineChart({ series, yLabel, testid }: { series: Series[]; yLabel: string; testid?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: 'linear', ticks: { callback: (v) => clock(Number(v)), maxTicksLimit: 8 } },
          y: { beginAtZero: true, title: { display: true, text: yLabel } },
        },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { title: (items) => clock(items[0].parsed.x ?? 0) } } },
      },
    });
    return () => chart.current?.destroy();
  }, [yLabel]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.datasets = series.map((s, i) => ({
      label: s.label,
      data: s.points.map((p) => ({ x: p.t, y: p.v })),
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      pointRadius: 0,
      borderWidth: 2,
      tension: 0.2,
    }));
    c.update();
  }, [series]);
  return <div className="chart" data-testid={testid} data-points={series.reduce((n, s) => n + s.points.length, 0)}><canvas ref={canvas} /></div>;
}
