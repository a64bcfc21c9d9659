import { hostSet } from 'fabts/hosts';

/** Production, as in the original notes: two nginx load balancers in front of the web servers. */
export const prod = hostSet({
  description: 'production: nginx1, nginx2 in front of web1..web3; MariaDB db1 (primary), db2 behind HAProxy on dblb',
  hosts: {
    nginx1: { roles: ['lb'] },
    nginx2: { roles: ['lb'] },
    web1: { roles: ['web'] },
    web2: { roles: ['web'] },
    web3: { roles: ['web'] },
    db1: { roles: ['db'] },
    db2: { roles: ['db'] },
    dblb: { roles: ['dblb'] },
  },
  ssh: { user: 'deploy' },
  settings: { nginxConf: '/usr/local/nginx/conf/nginx.conf' },
});
