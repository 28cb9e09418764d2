import { Injectable } from '@nestjs/common';

/** Source of the current time. Tests replace it to pin the clock. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
