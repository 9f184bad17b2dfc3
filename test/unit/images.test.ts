import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The Dockerfiles cannot be built here (no registry); their text is what can be checked.
const dockerfile = (base: string) => readFileSync(new URL(`../../images/${base}/Dockerfile`, import.meta.url), 'utf8');

// The stock CentOS-Base.repo lines that matter (centos:7 image).
const CENTOS_BASE_REPO = `[base]
name=CentOS-$releasever - Base
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/os/$basearch/
gpgcheck=1

[updates]
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=updates&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/updates/$basearch/

[extras]
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=extras&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/extras/$basearch/
`;

describe('images/centos7/Dockerfile', () => {
  const text = dockerfile('centos7');
  it('points yum at the vault before any yum call, and the rewrite works on the stock repo file', () => {
    const sedRun = /RUN sed (-i[\s\S]*?)\/etc\/yum\.repos\.d\/CentOS-\*\.repo/.exec(text);
    expect(sedRun).not.toBeNull();
    expect(text.indexOf('RUN sed')).toBeLessThan(text.indexOf('yum install'));
    // Run the Dockerfile's own sed expressions on the stock file.
    const exprs = [...sedRun![1]!.matchAll(/-e '([^']+)'/g)].map((m) => m[1]!);
    const rewritten = execFileSync('sed', exprs.flatMap((e) => ['-e', e]), { input: CENTOS_BASE_REPO }).toString();
    expect(rewritten).not.toMatch(/^mirrorlist=/m);
    for (const repo of ['os', 'updates', 'extras']) expect(rewritten).toContain(`\nbaseurl=http://vault.centos.org/7.9.2009/${repo}/$basearch/\n`);
  });
  it('installs the lab\'s packages and keeps the contract: systemd init, SIGRTMIN+3, apachectl without systemd', () => {
    const install = /yum install -y ([^\\&]+)/.exec(text)![1]!.split(/\s+/).filter(Boolean);
    expect(install).toEqual(expect.arrayContaining(['httpd', 'ipvsadm', 'iproute', 'net-tools', 'tcpdump', 'curl', 'arptables', 'iputils', 'keepalived']));
    expect(text).toMatch(/^STOPSIGNAL SIGRTMIN\+3$/m);
    expect(text).toMatch(/^CMD \["\/usr\/sbin\/init"\]$/m);
    expect(text).toContain('exec /usr/sbin/httpd -k "$1"');
  });
});

describe('images/debian/Dockerfile', () => {
  const text = dockerfile('debian');
  it('same packages and contract as the offline build', () => {
    const script = readFileSync(new URL('../../images/debian/build-rootfs.sh', import.meta.url), 'utf8');
    const offline = /PKGS=\(([^)]+)\)/.exec(script)![1]!.split(/\s+/).filter(Boolean).sort();
    const install = /--no-install-recommends\s+\\?\s*([\s\S]+?)\s*\\\s*\n\s*&& apt-get clean/.exec(text)![1]!.replace(/\\/g, ' ').split(/\s+/).filter(Boolean).sort();
    expect(install).toEqual(offline);
    expect(text).toContain('ln -sfn /lib/systemd/system/apache2.service /etc/systemd/system/httpd.service');
    expect(text).toMatch(/^STOPSIGNAL SIGRTMIN\+3$/m);
    expect(text).toMatch(/^CMD \["\/usr\/sbin\/init"\]$/m);
  });
});
