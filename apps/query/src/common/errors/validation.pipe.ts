import { ValidationPipe, type ValidationError as ClassValidationError } from '@nestjs/common';
import { ValidationError } from './api-error';

function firstProblem(errors: ClassValidationError[], path = ''): { parameter: string; message: string } {
  const error = errors[0];
  const parameter = path ? `${path}.${error.property}` : error.property;
  if (error.constraints) {
    // class-validator starts its messages with the property name ("start_date must be …",
    // "property x should not exist"); for an unknown parameter the name is the client's own
    // text, spaces and regex metacharacters included: strip it as text, never as a pattern.
    const text = Object.values(error.constraints)[0];
    const prefix = [`property ${error.property} `, error.property].find((p) => text.startsWith(p));
    return { parameter, message: prefix ? text.slice(prefix.length).trimStart() : text };
  }
  if (error.children?.length) return firstProblem(error.children, parameter);
  return { parameter, message: 'is invalid' };
}

/**
 * DTOs carry the validation; this turns class-validator's findings into VALIDATION_ERROR naming
 * the parameter. Unknown query parameters are refused too: a typo such as `start=` must not be
 * answered silently with the default period.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const { parameter, message } = firstProblem(errors);
      return new ValidationError(parameter, message);
    },
  });
}
