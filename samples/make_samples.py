"""Write the sample .LOG files of this folder, byte for byte.

The samples show the worklog .LOG format (docs/FORMAT.md) as real files hold it:
several stamp shapes, encodings, byte-order marks and line endings. Each file is
built here from fixed text, so the bytes never depend on the clock or the machine.

    python3 samples/make_samples.py           write every sample next to this script
    python3 samples/make_samples.py --check   write nothing; exit 1 if a file differs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent

BOM_UTF8 = b"\xef\xbb\xbf"
BOM_UTF16_LE = b"\xff\xfe"
LF = "\n"
CRLF = "\r\n"
CR = "\r"


def encode(text: str, *, encoding: str, newline: str, bom: bytes = b"") -> bytes:
    """Encode LF-separated ``text`` with the given newline, codec and byte-order mark."""
    return bom + text.replace(LF, newline).encode(encoding)


# --------------------------------------------------------------------------------------
# worklog.LOG: UTF-8, LF, the seed's shape `HH:MM YYYY-MM-DD`, 2026-11-16 .. 2026-11-25.
# One engineer: qemu/kvm packaging, a VM backup script (vmbackup), snapshots of test VMs.
# --------------------------------------------------------------------------------------

WORKLOG = """\
.LOG
08:52 2026-11-16
GTD
0, 8:50

1, today
1), 9:05-10:40 review the qemu-kvm subpackage proposal, answer Marta. see"09:31 2026-11-16" (done)
2), 10:50-12:20 13:15-16:05 vmbackup: snapshot all disks of one domain. see"13:12 2026-11-16"
3), ask Jonas where kvm_stat goes after the split
4), rebuild the sles15-build VM with the new qemu (dropped)

09:31 2026-11-16
virtualization, kvm, package
"Marta Keller"_email_"Re: qemu-kvm as a subpackage of qemu"_20261116_0917
Ann,

thanks for the review. Short version of where we are:
- qemu-kvm becomes a subpackage of qemu, same version, same spec file
- the udev rule for /dev/kvm moves to the base qemu package, so libvirt
  works without qemu-kvm installed
- the recommends on virt-utils goes away

Open point: the qemu-ifup sample script. I would ship it in qemu-kvm as
documentation, not in /etc. Objections before Thursday?

Marta

13:12 2026-11-16
1, TODO
vmbackup, internal snapshot of every disk of a domain: all disks must be qcow2.
ann@laptop:~/src/vmbackup> virsh domblklist web01
 Target   Source
-----------------------------------------------------
 vda      /var/lib/libvirt/images/web01.qcow2
 vdb      /var/lib/libvirt/images/web01-data.qcow2

2, raw disks: refuse early and say which disk is raw, libvirt only says
"unsupported configuration".
3, name clash: two snapshots in the same second get the same name.
add the seconds and a counter.

09:02 2026-11-17
GTD
0, 8:55

1, today
1), 9:00-9:25 mail
2), 9:30-12:05 13:00-14:25 vmbackup: name clash fix (done)
3), ask Jonas where kvm_stat goes after the split. see"11:48 2026-11-17" (done)
4), 14:30-14:45 snapshot web01, then put qemu 8.2.6 on it. see"14:33 2026-11-17" (done)
5), 14:50-16:30 vmbackup: raw disk check, refuse before calling libvirt
6), write the qemu-ifup note for Marta

11:48 2026-11-17
company, colleague
"Jonas Berg"_email_"kvm_stat and the qemu-kvm split"
Hi Ann,

kvm_stat lives in the kernel tree now (tools/kvm/kvm_stat), so it should
come from kernel-tools, not from qemu-kvm and not from qemu-tools.
I will drop it from the kvm package in the next submission; the
qemu-kvm wrapper script stays, as you and Marta said.

Jonas

14:33 2026-11-17
snapshot, web01
worklog snap web01: ok, internal snapshot web01-20261117-143312 of 2 disks in 0.06 s
result: ok
domain: web01
name: web01-20261117-143312
kind: internal
disks: vda /var/lib/libvirt/images/web01.qcow2; vdb /var/lib/libvirt/images/web01-data.qcow2
duration: 0.06 s
uri: qemu:///system
for: see"09:02 2026-11-17" item 4

08:47 2026-11-18

09:14 2026-11-18
GTD
0, 9:10

1, today
1), 9:15-10:20 10:45-11:50 vmbackup: raw disk check. see"13:20 2026-11-18" (done)
2), write the qemu-ifup note for Marta
3), 10:25-10:40 read Priya's mail on virt-utils. see"10:26 2026-11-18" (done)
4), 13:30-17:10 vmbackup: external disk-only snapshots for raw disks

10:26 2026-11-18
virtualization, package
""Priya Raman" <praman@example.org>"_email_"[virt-devel] Dropping virt-utils"_20261118_1019
All,

virt-utils has one tool left, vm-snapshot-disk, and nobody has touched it
in years. Proposal:
- drop virt-utils from the KVM host pattern now
- keep the package in the devel project until the end of the year, then
  delete it unless someone speaks up

If you use vm-snapshot-disk, reply and say what for. As far as I know
"virsh snapshot-create-as --disk-only" covers everything it did.

Priya

13:20 2026-11-18
1, TODO
raw disk check done: qemu-img tells the format, no need to ask libvirt.
ann@laptop:~/src/vmbackup> qemu-img info -U --output=json /var/lib/libvirt/images/db02.img
{
    "virtual-size": 21474836480,
    "filename": "/var/lib/libvirt/images/db02.img",
    "format": "raw",
    "actual-size": 4821319680,
    "dirty-flag": false
}

2, external disk-only for raw disks: the overlay goes next to the image,
the folder must be writable by libvirt-qemu.

08:58 2026-11-19
GTD
0, 8:55

1, today
1), 9:00-11:35 vmbackup: external disk-only snapshots for raw disks (done)
2), 11:40-11:50 snapshot the db VM, then put qemu 8.2.6 on it. see"11:45 2026-11-19"
3), 13:10-14:55 15:05-15:20 write the qemu-ifup note for Marta. see"15:21 2026-11-19" (done)
4), release notes for vmbackup 0.4

11:42 2026-11-19
snapshot, db02
worklog snap db02: failed, domain db02 not found on qemu:///system
result: failed
domain: db02
error: Domain not found: no domain with matching name 'db02'
error-code: 42 VIR_ERR_NO_DOMAIN
uri: qemu:///system
for: see"08:58 2026-11-19" item 2

11:45 2026-11-19
the VM is db-02 with a dash, the image is db02.img. no snapshot taken,
so no qemu upgrade on it today either.
ann@laptop:~> virsh -c qemu:///system list --all
 Id   Name      State
--------------------------
 3    web01     running
 5    db-02     running
 -    build15   shut off

15:21 2026-11-19
virtualization, package
note for Marta, qemu-ifup:
- ship it as /usr/share/doc/packages/qemu-kvm/qemu-ifup.sample
- no /etc/qemu-ifup: libvirt users never need it, and a file in /etc
  gets .rpmnew copies on every change
sent by mail.

09:07 2026-11-20
GTD
0, 9:00

1, today
1), 9:10-12:00 vmbackup: tests for the raw disk check. see"16:12 2026-11-20"
2), release notes for vmbackup 0.4: no release this week (dropped)
3), snapshot db-02, then put qemu 8.2.6 on it
4), 13:00-16:05 review Jonas' kvm package submission (done)

16:12 2026-11-20
command, build
worklog run make: exit 2 in 4.31 s
command: make check
exit: 2
duration: 4.31 s
cwd: /home/ann/src/vmbackup

ann@laptop:~/src/vmbackup> make check
python3 -m pytest -q tests
.............F..
=================================== FAILURES ===================================
____________________________ test_raw_disk_refused _____________________________
E   AssertionError: expected VIR_ERR_CONFIG_UNSUPPORTED (67), got VIR_ERR_INVALID_ARG (8)
1 failed, 15 passed in 3.87s
make: *** [Makefile:14: check] Error 1

16:35 2026-11-20
test_raw_disk_refused: the test is wrong, not the code. the test driver
rejects DISK_ONLY before it looks at the disk; mark it as integration. Monday.

08:49 2026-11-23
GTD
0, 8:45

1, today
1), 8:50-10:15 vmbackup: mark test_raw_disk_refused as integration. see"16:35 2026-11-20" (done)
2), snapshot db-02, then put qemu 8.2.7 on it. see"10:21 2026-11-23"
3), 10:30-12:00 13:00-15:45 vmbackup: retention, prune only our own snapshots
4), 16:00-16:20 answer Priya: we do not use vm-snapshot-disk. see"10:26 2026-11-18" (done)

10:21 2026-11-23
virtualization, kvm
"Tomás Ortega"_email_"qemu 8.2.7 in Virtualization"_20261123_1003
Hi,

qemu 8.2.7 is built in Virtualization for all targets now, security fixes
only. Please move the test VMs from 8.2.6 to it this week.

Tomás

14:02 2026-11-23
1, TODO
retention: keep the last N per domain, prune only names we made
(DOMAIN-YYYYMMDD-HHMMSS), never the user's own snapshots.
ann@laptop:~> virsh snapshot-list web01 --name
web01-20261117-143312
pre-upgrade
web01-20261123-135958

2, vmbackup prune --dry-run first, it prints what would go.

08:55 2026-11-24
GTD
0, 8:50

1, today
1), 9:00-11:30 vmbackup: retention, prune only our own snapshots
2), snapshot db-02, then put qemu 8.2.7 on it. see"10:21 2026-11-23"
3), release notes for vmbackup 0.4

11:34 2026-11-24
company, colleague
"Marta Keller"_email_"URGENT: qemu build fails on aarch64"_20261124_1128
Ann,

the qemu build in Virtualization fails on aarch64 since this morning,
the test suite stops in the snapshot tests. Can you look at it before
the submission deadline at 17:00?

Marta

11:52 2026-11-24
GTD
0, 8:50

1, today
1), 9:00-11:30 vmbackup: retention, prune only our own snapshots
2), 11:55-13:10 13:50-15:20 qemu aarch64 build failure. see"11:34 2026-11-24" (done)
3), 16:35-16:45 snapshot db-02, then put qemu 8.2.7 on it. see"16:41 2026-11-24" (done)
4), release notes for vmbackup 0.4
5), vmbackup prune --dry-run

15:22 2026-11-24
1, TODO
aarch64: the snapshot test times out on the slow workers, not a real bug.
raised the timeout in the spec file and submitted.
ann@laptop:~/obs/qemu> osc results -r openSUSE_Factory_ARM
openSUSE_Factory_ARM  aarch64   succeeded
openSUSE_Factory_ARM  armv7l    succeeded

2, told Marta at 15:25.

16:41 2026-11-24
snapshot, db-02
worklog snap db-02: ok, external disk-only snapshot db-02-20261124-164058 of 1 disk in 0.13 s
result: ok
domain: db-02
name: db-02-20261124-164058
kind: external
disks: vda /var/lib/libvirt/images/db02.db-02-20261124-164058
duration: 0.13 s
uri: qemu:///system
for: see"11:52 2026-11-24" item 3

08:41 2026-11-25
company, colleague
"Jonas Berg"_email_"kvm package submitted"
Ann, Marta,

the stripped kvm package is submitted: it only requires qemu-kvm now,
the udev rule is in qemu and kvm_stat is gone.

Jonas

09:05 2026-11-25
1, TODO
vmbackup prune --dry-run, keep the output short:
ann@laptop:~/src/vmbackup> ./vmbackup prune web01 --keep 1 --dry-run
would delete web01-20261117-143312 (internal, 8 days old)
keep web01-20261123-135958 (internal, newest of ours)
keep pre-upgrade (not ours)

2, --keep 0 must be refused, or it deletes everything we made.

09:20 2026-11-25
GTD
0, 8:40

1, today
1), 9:25-10:05 answer Jonas: the kvm package is fine from our side. see"08:41 2026-11-25" (done)
2), 10:10-12:15 13:00-15:05 vmbackup prune: refuse --keep 0. see"09:05 2026-11-25" (done)
3), 15:10- release notes for vmbackup 0.4
4), revert test on db-02: external revert needs libvirt 9.9
"""


def worklog_log() -> bytes:
    return encode(WORKLOG, encoding="utf-8", newline=LF)


# --------------------------------------------------------------------------------------
# en-US-crlf-bom.LOG: UTF-8 with BOM, CRLF, `9:05 AM 2/3/2014` (12-hour, month first).
# --------------------------------------------------------------------------------------

EN_US = """\
.LOG
9:05 AM 2/3/2014
GTD
0, 9:00

1, today
1), 9:10-11:45 move the build VMs to labhost2. see"11:48 AM 2/3/2014"
2), 13:05-13:50 renew the lab web certificate (done)
3), order two more 1 TB SSDs for labhost2

11:48 AM 2/3/2014
lab, migration
build01 and build02 run on labhost2 now. build03 refuses:
ann@labhost1:~> virsh migrate --live build03 qemu+ssh://labhost2/system
error: Unsafe migration: Migration without shared storage is unsafe

it needs --copy-storage-all or the NFS share on labhost2. tomorrow.

1:27 PM 2/4/2014
lab, migration
build03 moved with --copy-storage-all: 40 GB in 9 minutes.
all three build VMs are on labhost2, labhost1 can be reinstalled.

9:12 AM 2/10/2014
GTD
0, 9:10

1, today
1), 9:15-11:00 reinstall labhost1 (done)
2), order two more 1 TB SSDs for labhost2. see"12:15 PM 2/10/2014"
3), 11:10-11:55 13:00-15:30 snapshot before every package update on the build VMs

12:15 PM 2/10/2014
lab, purchase
"Dana Whitfield"_email_"RE: SSDs for the lab"_20140210_1152
Ann,

approved, two 1 TB drives at $389 each. They should arrive on Thursday.

Dana

11:52 PM 2/10/2014
lab, alarm
labhost2 alarm from the monitoring: disk 93% full. the snapshots of
build03 from today, 3 of them. deleted two, 71% now.

12:20 AM 2/11/2014
lab, alarm
alarm cleared. going to bed.

8:58 AM 2/13/2014
lab, purchase
the SSDs arrived, both in labhost2 now. the snapshot folder moves to
the new disks on Monday.
"""


def en_us_log() -> bytes:
    return encode(EN_US, encoding="utf-8", newline=CRLF, bom=BOM_UTF8)


# --------------------------------------------------------------------------------------
# de-DE-cp1252.LOG: Windows ANSI code page 1252, no BOM, CRLF, `13:27 10.02.2014`.
# --------------------------------------------------------------------------------------

DE_DE = """\
.LOG
08:31 10.02.2014
GTD
0, 8:30

1, heute
1), 8:35-10:10 Angebot für die neuen Server prüfen (done)
2), 10:20-12:00 13:00-15:30 Snapshot-Skript für alle Platten einer Domäne
3), Übergabe an Jürgen vorbereiten

11:02 10.02.2014
Einkauf, Kollegen
"Jürgen Weiß"_email_"AW: Angebot Server für das Labor"_20140210_1047
Hallo Katrin,

das Angebot liegt bei 4.870 € pro Server, zusammen 9.740 € netto.
Lieferung in zwei Wochen. Passt das für dich?

Gruß
Jürgen

16:45 11.02.2014
1, TODO
Snapshot-Skript: externe Snapshots landen im falschen Verzeichnis.
katrin@werkbank:~/skripte> ls /mnt/sicherung/vm
ls: Zugriff auf '/mnt/sicherung/vm' nicht möglich: Datei oder Verzeichnis nicht gefunden

2, Freigabe /mnt/sicherung ist nicht eingehängt, fstab prüfen.

09:12 13.02.2014
GTD
0, 9:05

1, heute
1), 9:10-11:40 Snapshot-Skript: Freigabe prüfen, dann alle Platten sichern (done)
2), Übergabe an Jürgen vorbereiten. see"14:03 14.02.2014"
3), Angebot freigeben: 9.740 €, Kostenstelle 4711 (done)

14:03 14.02.2014
Kollegen
Übergabe an Jürgen:
- Skript liegt unter ~/skripte/vm-sicherung, Doku im README
- läuft nächtlich um 2:00, Protokoll unter /var/log/vm-sicherung.log
- größte Platte: 120 GB, dauert etwa 14 Minuten
"""


def de_de_log() -> bytes:
    return encode(DE_DE, encoding="cp1252", newline=CRLF)


# --------------------------------------------------------------------------------------
# utf16le.LOG: UTF-16 LE with BOM, CRLF, en-GB `13:27 10/02/2014` (day first).
# --------------------------------------------------------------------------------------

UTF16LE = """\
.LOG
09:05 03/02/2014
GTD
0, 9:00

1, today
1), 9:10-11:20 VM template for the Tokyo office
2), reply to Yuki about snapshot descriptions. see"10:42 03/02/2014"
3), 13:00-14:10 patch the lab hosts (done)

10:42 03/02/2014
tokyo, colleague
"田中 由紀 (Yuki Tanaka)"_email_"スナップショットの説明 / snapshot descriptions"_20140203_1815
Ann,

Japanese below. Could we keep Japanese descriptions in the snapshot
metadata? The names stay ASCII, only the description is in Japanese.

スナップショット名はASCIIのままで、説明だけ日本語にしたいです。
例: 「アップグレード前」、「月次バックアップ」

よろしくお願いします。
由紀

14:15 04/02/2014
libvirt, スナップショット
tested a Japanese description, it survives the round trip:
ann@labhost1:~> virsh snapshot-create-as tokyo01 pre-upgrade "アップグレード前"
Domain snapshot pre-upgrade created
ann@labhost1:~> virsh snapshot-list tokyo01 --name
pre-upgrade

answered Yuki: yes, descriptions may be Japanese.

09:20 10/02/2014
GTD
0, 9:15

1, today
1), 9:20-12:00 VM template for the Tokyo office (done)
2), 13:00-15:00 monthly snapshot job for tokyo01 and tokyo02

16:05 13/02/2014
tokyo, colleague
Νίκος from the Athens office wants the same template; sent him the
notes. his hosts are ath01..03, same libvirt version as ours.
"""


def utf16le_log() -> bytes:
    return encode(UTF16LE, encoding="utf-16-le", newline=CRLF, bom=BOM_UTF16_LE)


# --------------------------------------------------------------------------------------
# en-GB-dayfirst.LOG: UTF-8, LF, `09:05 03/02/2014`, a preamble note before the first stamp.
# --------------------------------------------------------------------------------------

EN_GB = """\
.LOG
Lab move from building B to building D, February 2014. Ravi has a copy.

09:05 03/02/2014
lab, move
inventory of the rack in B2.14:
- labhost1, labhost2 (KVM hosts, 22 VMs between them)
- nas01 (NFS for the VM images)
- the old Xen box, to be switched off, not moved

14:40 05/02/2014
GTD
0, 9:00

1, today
1), 9:10-10:30 list which VMs can be down on moving day
2), 10:45-12:30 snapshot every VM before the move. see"16:50 05/02/2014" (done)
3), book the lift for the 17th (done)

16:50 05/02/2014
lab, move
one snapshot per VM, 22 of them, none failed. the Xen box gets no
snapshot, it goes.
ravi@labhost1:~> virsh list --all --name | wc -l
23

08:15 17/02/2014
lab, move
moving day. labhost1 and labhost2 shut down at 08:10, nas01 at 08:12.

15:32 17/02/2014
lab, move
everything up in D0.07. two VMs did not start: their images still
point at /mnt/nas01-old. fixed the paths, both running.
"""


def en_gb_log() -> bytes:
    return encode(EN_GB, encoding="utf-8", newline=LF)


# --------------------------------------------------------------------------------------
# ko-KR.LOG: UTF-8, LF, `오후 1:27 2014-02-10` (marker before the time, 12-hour).
# --------------------------------------------------------------------------------------

KO_KR = """\
.LOG
오전 9:05 2014-02-03
GTD
0, 9:00

1, 오늘
1), 9:10-11:40 libvirt 스냅샷 테스트 (done)
2), 13:00-15:20 qemu 패키지 빌드 확인
3), 김민수 님께 회의록 보내기. see"오후 1:27 2014-02-03"

오후 1:27 2014-02-03
회의, libvirt
스냅샷 회의 (snapshot meeting), 참석: 김민수, Ann
- 내부 스냅샷은 qcow2 디스크만 가능 (internal snapshots need qcow2)
- raw 디스크는 외부 스냅샷으로 (external, disk-only)
- 다음 회의: 목요일

오후 12:10 2014-02-04
libvirt
raw 디스크 확인:
ann@kvm01:~> qemu-img info /var/lib/libvirt/images/db01.img
image: /var/lib/libvirt/images/db01.img
file format: raw
virtual size: 20 GiB (21474836480 bytes)

외부 스냅샷으로 해야 함.

오전 9:12 2014-02-10
GTD
0, 9:10

1, 오늘
1), 9:15-12:00 외부 스냅샷 스크립트 (external snapshot script)
2), qemu 패키지 빌드 확인 (dropped)
3), 13:30-16:10 db01 스냅샷 테스트 (done)
"""


def ko_kr_log() -> bytes:
    return encode(KO_KR, encoding="utf-8", newline=LF)


# --------------------------------------------------------------------------------------
# zh-TW.LOG: UTF-8 with BOM, CRLF, `下午 01:27 2014/2/10` (marker before the time).
# --------------------------------------------------------------------------------------

ZH_TW = """\
.LOG
上午 09:05 2014/2/3
GTD
0, 9:00

1, 今天
1), 9:10-10:40 檢查 qemu 套件更新 (done)
2), 10:50-12:00 替 web01 建立快照
3), 回覆陳志明的信. see"下午 01:27 2014/2/3"

下午 01:27 2014/2/3
同事, 快照
"陳志明"_email_"快照保留政策 / snapshot retention"_20140203_1306
Ann\uff0c

每個 VM 保留最近 5 個快照就好\uff0c較舊的請刪除。
Keep the last 5 snapshots per VM and delete the older ones.

志明

下午 04:48 2014/2/3
快照, libvirt
ann@kvm-tpe:~> virsh snapshot-list web01 --name
web01-20140203-1150
web01-20140131-0900

只有兩個\uff0c不用刪。 only two, nothing to delete.

上午 09:20 2014/2/10
GTD
0, 9:15

1, 今天
1), 9:20-11:00 快照清理腳本 (snapshot cleanup script)
2), 替 web01 建立快照 (done)
"""


def zh_tw_log() -> bytes:
    return encode(ZH_TW, encoding="utf-8", newline=CRLF, bom=BOM_UTF8)


# --------------------------------------------------------------------------------------
# mixed.LOG: UTF-8, CRLF then LF then CRLF, lone CRs from a pasted progress meter,
# no final line break; en-US stamps until the laptop was reinstalled, ISO stamps after.
# --------------------------------------------------------------------------------------

MIXED: tuple[tuple[str, str], ...] = (
    (".LOG", CRLF),
    ("9:05 AM 1/30/2014", CRLF),
    ("lab", CRLF),
    ("new laptop came with en-US Windows, so the stamps look different for now.", CRLF),
    ("", CRLF),
    ("4:40 PM 2/4/2014", CRLF),
    ("lab, migration", CRLF),
    ("first live migration test, web01 from labhost1 to labhost2:", CRLF),
    ("ann@labhost1:~> virsh migrate --live --verbose web01 qemu+ssh://labhost2/system", CRLF),
    ("Migration: [ 12 %]", CR),
    ("Migration: [ 57 %]", CR),
    ("Migration: [100 %]", CRLF),
    ("", CRLF),
    ("took about a minute, no complaints from the web team.", CRLF),
    ("", CRLF),
    ("10:02 2014-02-10 ", LF),
    ("lab", LF),
    ("IT reinstalled the laptop with the company image: ISO dates from here on,", LF),
    ("and the log is edited on the Linux box too now.", LF),
    ("the vendor's maintenance notice says the window is on", LF),
    ("10:00 2014-02-30", LF),
    ("which does not exist; asked them for the real date.", LF),
    ("", LF),
    ("11:02 2014-02-12", LF),
    ("lab, migration", LF),
    ("web01 again, with storage copy this time (labhost2 has no NFS yet).", LF),
    ("started at 11:04 2014-02-12, waiting.", LF),
    ("11:40 2014-02-12", LF),
    ("finished: 38 minutes for 20 GB, downtime 310 ms.", LF),
    ("", LF),
    ("13:15 2014-02-12", CRLF),
    ("web, colleague", CRLF),
    ("sent the numbers to the web team, as noted above:", CRLF),
    ("    11:40 2014-02-12", CRLF),
    ("    finished: 38 minutes for 20 GB, downtime 310 ms.", CRLF),
    ("Tom says 310 ms is fine for them.", ""),
)


def mixed_log() -> bytes:
    return "".join(line + eol for line, eol in MIXED).encode("utf-8")


# --------------------------------------------------------------------------------------
# ru-RU-day-headings.LOG: ru-RU stamps `9:05 13.02.2014` with a person's habits: day
# headings with no time, a dotted time, a stamp written twice, hours padded by hand in
# one entry and not in the next, prose first lines, no final line break. UTF-8, LF.
# --------------------------------------------------------------------------------------

RU_HEADINGS = """\
.LOG

19:05 13.02.2014
Добавлен файл board_config.h
Настройки платы теперь в одном месте, а не в трёх.

8:31 14.02.2014
- Создано
- ветка для нового дисплея
1. проверить подсветку
2. проверить касание

08:00 15.02.2014
Эксперимент с очередью команд
Очередь на 16 сообщений, потерь нет.

21:00 15.02.2014
BOOT отключен
Загрузчик больше не стартует после сброса.

21:00 15.02.2014
Второй раз за вечер: включил обратно, мигает светодиод.

17.02.2014
Откалибровано
смещение датчика тока 12 мВ, результат записан в таблицу.

18.02.2014{TRAILING}
Замена кварца на 16 МГц.
2014-02-18
(дата из протокола поставщика, в другой форме: текст)

9.24 19.02.2014
RAM:   13.1% (used 42976 bytes)
Flash: 80.4% (used 1054074 bytes)
9.30 2014-02-19
(время с точкой и дата в другой форме: текст)
31.02.2014
(такого дня нет: текст)

20.02.2014
питание, дисплей
Проверка после сборки: всё работает."""


def ru_headings_log() -> bytes:
    # the heading `18.02.2014` ends with two spaces, as typed
    return encode(RU_HEADINGS.replace("{TRAILING}", "  "), encoding="utf-8", newline=LF)


# --------------------------------------------------------------------------------------
# ja-JP-newest-first.LOG: ja-JP stamps `9:02 2026/11/26`, each day put above the day
# before (F5 pressed at the top of the file): plans with worked ranges. UTF-8, LF.
# --------------------------------------------------------------------------------------

JA_NEWEST_FIRST = """\
.LOG

18:40 2026/11/26
build, nightly
夜間ビルドの設定を確認した。

9:02 2026/11/26
GTD
0, 9:00

1, today
1), 9:10-10:30 リリースノートの下書き (done)
2), 10:45- テスト環境の再構築 (from 2026-11-25)

17:55 2026/11/25
会議
定例会議: 次のリリースは12月。

8:50 2026/11/25
GTD
0, 8:45

1, today
1), 9:00-11:00 13:00-14:30 テスト環境の再構築
2), 11:10-12:00 レビュー対応 (done)

8:40 2026/11/24
GTD
0, 8:40

1, today
1), 8:45-9:45 見積もりの作成 (done)
"""


def ja_newest_first_log() -> bytes:
    return encode(JA_NEWEST_FIRST, encoding="utf-8", newline=LF)


# --------------------------------------------------------------------------------------
# en-US-readme.LOG: a Markdown readme with a .LOG pasted in the middle, en-US stamps,
# one stamp inside a fenced block. UTF-8, LF.
# --------------------------------------------------------------------------------------

EN_README = """\
# bench-rig

Scripts for the lab's benchmark rig.

## Notes

.LOG
9:12 AM 2/3/2014
first run on the new rig: 310 ms downtime.

4:40 PM 2/14/2014
moved the settings to rig.ini, see the README above.

```
1:05 PM 2/17/2014
pasted from the rig's console once
```
"""


def en_readme_log() -> bytes:
    return encode(EN_README, encoding="utf-8", newline=LF)


SAMPLES: dict[str, Callable[[], bytes]] = {
    "worklog.LOG": worklog_log,
    "en-US-crlf-bom.LOG": en_us_log,
    "de-DE-cp1252.LOG": de_de_log,
    "utf16le.LOG": utf16le_log,
    "en-GB-dayfirst.LOG": en_gb_log,
    "ko-KR.LOG": ko_kr_log,
    "zh-TW.LOG": zh_tw_log,
    "mixed.LOG": mixed_log,
    "ru-RU-day-headings.LOG": ru_headings_log,
    "ja-JP-newest-first.LOG": ja_newest_first_log,
    "en-US-readme.LOG": en_readme_log,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample .LOG files.")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file differs"
    )
    parser.add_argument(
        "--dir", type=Path, default=HERE, help="folder to write to (default: this folder)"
    )
    args = parser.parse_args(argv)
    folder: Path = args.dir
    differ: list[str] = []
    for name, build in SAMPLES.items():
        data = build()
        path = folder / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                differ.append(name)
            continue
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    for name in differ:
        print(f"differs: {folder / name}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
