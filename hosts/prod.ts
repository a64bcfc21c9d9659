import { hostSet } from 'fabts';

/** Production, as in the original notes: two nginx load balancers in front of the web servers. */
export const prod = hostSet({
  description: 'production: nginx1, nginx2 in front of web1..web3',
  hosts: {
    nginx1: { roles: ['lb'] },
    nginx2: { roles: ['lb'] },
    web1: { roles: ['web'] },
    web2: { roles: ['web'] },
    web3: { roles: ['web'] },
  },
  ssh: { user: 'deploy' },
  settings: { nginxConf: '/usr/local/nginx/conf/nginx.conf' },
});
