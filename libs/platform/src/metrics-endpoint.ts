import { createServer, type Server } from 'node:http';
import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { LiveGauges } from './live-gauges';

/**
 * The Prometheus endpoint (GET /metrics): the OpenTelemetry metrics as the Prometheus exporter
 * renders them, followed by the live gauges. The exporter is only the reader here; this server
 * answers the scrapes.
 */
export class MetricsEndpoint {
  readonly reader = new PrometheusExporter({ preventServerStart: true });
  private readonly serializer = new PrometheusSerializer('', false, undefined, false, false);
  private readonly server: Server;

  constructor(private readonly live: LiveGauges) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        res.statusCode = 404;
        res.end();
        return;
      }
      this.reader.collect().then(
        ({ resourceMetrics, errors }) => {
          if (errors.length) diag.error('metrics collection errors', ...errors);
          res.statusCode = 200;
          res.setHeader('content-type', 'text/plain; version=0.0.4');
          res.end(this.serializer.serialize(resourceMetrics) + this.live.render());
        },
        (err) => {
          res.statusCode = 500;
          res.end(`# failed to export metrics: ${err}`);
        },
      );
    }).unref();
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
