/**
 * Whether something answers on a TCP port: the embedded dev server's check that its port is free, and the cluster
 * scripts' wait for a process to listen (or to let go of its port).
 */
import net from 'node:net';

/** True when a connection to `host:port` is accepted within a second. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
