import { hostSet } from 'fabts/hosts';

/** The test environment: one nginx (nginx3) and one web server. */
export const test = hostSet({
  description: 'test: nginx3 in front of web4',
  hosts: {
    nginx3: { roles: ['lb'] },
    web4: { roles: ['web'] },
  },
  ssh: { user: 'deploy' },
  settings: { nginxConf: '/usr/local/nginx/conf/nginx.conf' },
});
