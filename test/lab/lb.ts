// Load balancer configs of an `lb: true` lab: nginx on lb1, HAProxy on lb2, both proxying to the web
// hosts' app (port 8080) by host name (resolved through the LB host's own /etc/hosts at start/reload).
import { APP_PORT } from './app.js';
import type { LabHaproxy, LabNginx } from './types.js';

export const NGINX = '/usr/sbin/nginx';
export const HAPROXY = '/usr/sbin/haproxy';
/** per-host copies on lb1 (seeded from the system, then our own nginx.conf is written) */
export const NGINX_BINDS = ['/etc/nginx', '/var/log/nginx', '/var/lib/nginx'];
export const HAPROXY_BINDS = ['/etc/haproxy'];

export function nginxInfo(host: string, address: string, backends: string[]): LabNginx {
  return {
    kind: 'nginx',
    host,
    service: `${host}-nginx`,
    url: `http://${address}/`,
    address,
    port: 80,
    backends: [...backends],
    conf: '/etc/nginx/nginx.conf',
    pidFile: '/run/nginx.pid',
    upstream: 'app',
    check: 'sudo nginx -t',
    reload: 'sudo nginx -s reload',
    accessLog: '/var/log/nginx/access.log',
    errorLog: '/var/log/nginx/error.log',
  };
}

export function haproxyInfo(host: string, address: string, backends: string[]): LabHaproxy {
  const socket = '/run/haproxy/admin.sock';
  return {
    kind: 'haproxy',
    host,
    service: `${host}-haproxy`,
    url: `http://${address}/`,
    address,
    port: 80,
    backends: [...backends],
    conf: '/etc/haproxy/haproxy.cfg',
    pidFile: '/run/haproxy.pid',
    backend: 'app',
    socket,
    socketCommand: `sudo socat stdio unix-connect:${socket}`,
    check: 'sudo haproxy -c -f /etc/haproxy/haproxy.cfg',
    reload: 'sudo kill -USR2 $(cat /run/haproxy.pid)',
  };
}

/**
 * nginx.conf for lb1. One `    server webN:8080;` line per backend, so a fabfile can comment one out
 * with sed and `nginx -s reload`. No keep-alive anywhere (clients: keepalive_timeout 0; upstream:
 * HTTP/1.0, no `keepalive`), so a reload never races a request on an idle connection; failed
 * connects and 502/503/504 are retried on the next backend.
 */
export function nginxConf(n: LabNginx): string {
  return `# fabts lab: nginx load balancer on ${n.host} (written by test/lab/lb.ts at lab start)
# check: ${n.check}   reload: ${n.reload}
user www-data;
worker_processes 1;
pid ${n.pidFile};
error_log ${n.errorLog} notice;

events {
    worker_connections 1024;
}

http {
    log_format upstream '$remote_addr [$time_local] "$request" $status $body_bytes_sent upstream=$upstream_addr $upstream_status $request_time';
    access_log ${n.accessLog} upstream;

    client_body_temp_path /var/lib/nginx/body;
    proxy_temp_path /var/lib/nginx/proxy;
    fastcgi_temp_path /var/lib/nginx/fastcgi;
    uwsgi_temp_path /var/lib/nginx/uwsgi;
    scgi_temp_path /var/lib/nginx/scgi;

    keepalive_timeout 0;

    upstream ${n.upstream} {
${n.backends.map((b) => `        server ${b}:${APP_PORT};`).join('\n')}
    }

    server {
        listen ${n.address}:${n.port};
        server_name ${n.host};

        location = /lb-health {
            access_log off;
            return 200 "ok\\n";
        }

        location / {
            proxy_pass http://${n.upstream};
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
`;
}

/**
 * haproxy.cfg for lb2: master-worker (reload = USR2 to the master, whose pid is in pidFile), admin
 * socket for root only, `listen app` with an HTTP health check of GET /health every 500 ms.
 */
export function haproxyCfg(h: LabHaproxy): string {
  return `# fabts lab: HAProxy load balancer on ${h.host} (written by test/lab/lb.ts at lab start)
# check: ${h.check}   reload: ${h.reload}
# admin: echo 'set server ${h.backend}/web2 state drain' | ${h.socketCommand}
global
    master-worker
    pidfile ${h.pidFile}
    stats socket ${h.socket} mode 600 level admin expose-fd listeners
    stats timeout 30s
    log stderr format raw local0 info
    user haproxy
    group haproxy

defaults
    mode http
    log global
    option httplog
    option redispatch
    retries 3
    timeout connect 1s
    timeout client 30s
    timeout server 60s
    timeout http-request 10s
    default-server fall 2 rise 2

listen ${h.backend}
    bind ${h.address}:${h.port}
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
${h.backends.map((b) => `    server ${b} ${b}:${APP_PORT} check inter 500ms`).join('\n')}
`;
}
