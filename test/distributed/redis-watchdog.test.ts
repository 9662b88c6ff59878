/**
 * The dispatcher's outage clock, in virtual time: when an outage starts (a connection closes, a
 * PING goes unanswered), when it ends (every connection ready, or the PING answered), and that it
 * expires exactly once, `graceMs` after it started.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { createDispatcher, isDistributedError } from 'rx-orchestra/distributed';
import { RedisWatchdog } from '../../src/distributed/redis-watchdog.js';

class FakeClient extends EventEmitter {
  status = 'ready';
  close(): void {
    this.status = 'reconnecting';
    this.emit('close');
  }
  ready(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

/** A PING whose answer the test gives (synchronously, so it lands at a virtual time). */
function pings(answering: () => boolean) {
  const pending: (() => void)[] = [];
  let sent = 0;
  const ping = () => {
    sent++;
    const thenable = {
      then(onAnswer: () => void) {
        if (answering()) onAnswer();
        else pending.push(onAnswer);
        return thenable;
      },
    };
    return thenable as unknown as Promise<unknown>;
  };
  return { ping, sent: () => sent, answerAll: () => pending.splice(0).forEach((answer) => answer()) };
}

function setUp(options: { graceMs: number; probeMs: number; answering?: () => boolean }) {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.maxFrames = 10_000; // virtual ms (the default stops at 750)
  const log: string[] = [];
  const clients = [new FakeClient(), new FakeClient()];
  const probe = pings(options.answering ?? (() => true));
  const watchdog = new RedisWatchdog({
    clients,
    ping: probe.ping,
    graceMs: options.graceMs,
    probeMs: options.probeMs,
    scheduler,
    onRestored: () => log.push(`${scheduler.now()}: restored`),
    onExpired: (since) => log.push(`${scheduler.now()}: expired (since ${since})`),
  });
  const at = (time: number, work: () => void) => scheduler.schedule(work, time);
  return { scheduler, log, clients, probe, watchdog, at };
}

describe('RedisWatchdog (virtual time)', () => {
  it('expires a lost connection once, grace ms after it closed, and restores when every connection is ready again', () => {
    const { scheduler, log, clients, watchdog, at } = setUp({ graceMs: 100, probeMs: 30 });
    at(10, () => clients[0]!.close());
    at(12, () => clients[1]!.close());
    at(50, () => log.push(`50: unreachable ${watchdog.unreachable}, expired ${watchdog.expired}`));
    at(150, () => log.push(`150: unreachable ${watchdog.unreachable}, expired ${watchdog.expired}, outage ${watchdog.outageMs} ms`));
    at(300, () => clients[0]!.ready()); // one of two: not yet
    at(310, () => clients[1]!.ready());
    scheduler.flush();
    expect(log).toEqual(['50: unreachable true, expired false', '110: expired (since 10)', '150: unreachable true, expired true, outage 140 ms', '310: restored']);
    expect(watchdog.unreachable).toBe(false);
    expect(watchdog.expired).toBe(false);
  });

  it('does not expire when Redis is back within the grace period', () => {
    const { scheduler, log, clients, at } = setUp({ graceMs: 100, probeMs: 30 });
    at(10, () => clients.forEach((client) => client.close()));
    at(90, () => clients.forEach((client) => client.ready()));
    at(500, () => clients.forEach((client) => client.close())); // a second outage has a clock of its own
    at(550, () => clients.forEach((client) => client.ready()));
    scheduler.flush();
    expect(log).toEqual(['90: restored', '550: restored']);
  });

  it('counts a PING unanswered for a probe interval as an outage since it was sent (a frozen Redis keeps its sockets open)', () => {
    let answering = true;
    const { scheduler, log, probe, watchdog, at } = setUp({ graceMs: 100, probeMs: 30, answering: () => answering });
    watchdog.setActive(true);
    at(45, () => (answering = false)); // the PING of 60 is never answered
    at(200, () => {
      answering = true;
      probe.answerAll();
    });
    at(400, () => watchdog.setActive(false));
    scheduler.flush();
    expect(log).toEqual(['160: expired (since 60)', '200: restored']);
  });

  it('sends no PING while no job is in flight', () => {
    const { scheduler, probe, watchdog, at } = setUp({ graceMs: 100, probeMs: 30 });
    at(1_000, () => watchdog.setActive(true));
    at(1_100, () => watchdog.setActive(false));
    scheduler.flush();
    expect(probe.sent()).toBe(3); // at 1030, 1060 and 1090 only
  });
});

describe('createDispatcher outageGrace', () => {
  it.each([0, -1, Number.NaN, Infinity, 2 ** 31, '30s'])('refuses %s with INVALID_OPTION naming the field', (outageGrace) => {
    let thrown: unknown;
    try {
      createDispatcher({ connection: 'redis://127.0.0.1:6379', queue: 'q', outageGrace: outageGrace as number });
    } catch (error) {
      thrown = error;
    }
    expect(isDistributedError(thrown) && thrown.code === 'INVALID_OPTION' && thrown.field === 'outageGrace').toBe(true);
  });
});
